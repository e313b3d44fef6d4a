# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Memory acquisition on a Linux instance, sent by ssm_volatile_capture as the text of a Run Command.

This file is not run on the controller: memory.linux_commands sends its source
to the instance, where python3 (3.6 or later, standard library only; every
cloud-init image has one) runs it as root under the SSM Agent. It

1. reads the upload plan (the presigned URLs) from SecureString parameters with
   the host's own AWS CLI and instance role: no URL is in the command text;
2. downloads the acquisition tool through its presigned GET into memory
   (memfd_create, else an exec-able tmpfs), checks its SHA-256 and runs it only
   when it matches;
3. runs the tool with the image written to a pipe, and uploads the image in
   parts through presigned UploadPart URLs, one part in memory at a time and
   retried from memory; nothing is written to the instance's disks;
4. prints one summary line, the last of its output, which never holds a URL:

    ##IR## memory {"status": "uploaded", "bytes": ..., "sha256": ..., "parts": ...}
"""

import argparse
import base64
import datetime
import gzip
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SUMMARY_MARKER = "##IR## memory "
_URL = re.compile(r"https?://\S+")
_ATTEMPTS = 4
_HTTP_TIMEOUT = 300
_RETRY_HTTP = (408, 429, 500, 502, 503, 504)
_MFD_EXEC = 0x0010  # Linux 6.3+: say the memfd may be executed (older kernels refuse the flag; retried without)
_TMPFS_CANDIDATES = ("/dev/shm", "/run")
# The host has no Ansible: the standard library's HTTP client, with its default handlers.
_HTTP = urllib.request.build_opener()
_GET_PARAMETERS_MAX = 10


class HostError(Exception):
    """A failure with a short reason code for the summary."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


def sanitize(text):
    """text with every URL replaced, so no presigned URL reaches the command output."""
    return _URL.sub("<url>", str(text))


def utc_now():
    return datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


def read_plan(region, names, aws="aws"):
    """(tool URL, [part URLs]) from the SecureString parameters, joined in the order given."""
    values = {}
    for start in range(0, len(names), _GET_PARAMETERS_MAX):
        command = [aws, "ssm", "get-parameters", "--region", region, "--with-decryption", "--output", "json", "--names"]
        try:
            done = subprocess.run(command + names[start:start + _GET_PARAMETERS_MAX], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        except OSError as e:
            raise HostError("no_aws_cli", "the AWS CLI cannot be run (%s); it reads the upload plan with the instance role" % e) from e
        if done.returncode != 0:
            detail = sanitize(done.stderr.decode("utf-8", "replace").strip()[-600:])
            raise HostError("plan_unreadable", "aws ssm get-parameters exited %d: %s" % (done.returncode, detail))
        answer = json.loads(done.stdout.decode("utf-8"))
        if answer.get("InvalidParameters"):
            raise HostError("plan_unreadable", "parameters not found: %s" % ", ".join(answer["InvalidParameters"]))
        values.update((p["Name"], p["Value"]) for p in answer["Parameters"])
    lines = gzip.decompress(base64.b64decode("".join(values[name] for name in names))).decode("utf-8").split("\n")
    return lines[0], lines[1:]


def _with_retries(what, action):
    """action() retried on network errors and retryable HTTP answers, with backoff (1, 2, 4 s)."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return action()
        except urllib.error.HTTPError as e:
            if e.code not in _RETRY_HTTP or attempt == _ATTEMPTS:
                raise HostError("http_error", "%s: HTTP %d %s" % (what, e.code, sanitize(e.reason))) from None
        except (urllib.error.URLError, socket.timeout, ConnectionError) as e:
            if attempt == _ATTEMPTS:
                raise HostError("network_error", "%s: %s" % (what, sanitize(getattr(e, "reason", e)))) from None
        time.sleep(2 ** (attempt - 1))
    raise AssertionError("unreachable")


def fetch(url):
    """The body of a presigned GET (bytes)."""
    def get():
        with _HTTP.open(url, timeout=_HTTP_TIMEOUT) as answer:
            return answer.read()
    return _with_retries("downloading the tool", get)


def put_part(url, number, data):
    """One presigned UploadPart PUT of data (a bytes-like object), retried from memory."""
    def put():
        request = urllib.request.Request(url, data=data, method="PUT", headers={
            # An explicit type: a form-encoded body is what urllib would claim otherwise.
            "Content-Type": "application/octet-stream", "Content-Length": str(len(data))})
        with _HTTP.open(request, timeout=_HTTP_TIMEOUT) as answer:
            answer.read()
    _with_retries("uploading part %d" % number, put)


def _exec_tmpfs():
    """A memory-backed directory (tmpfs, writable, not noexec) to run the tool from, or None."""
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            entries = [line.split() for line in mounts]
    except OSError:
        return None
    for candidate in _TMPFS_CANDIDATES:
        for entry in entries:
            if len(entry) >= 4 and entry[1] == candidate and entry[2] == "tmpfs" and "noexec" not in entry[3].split(","):
                if os.access(candidate, os.W_OK | os.X_OK):
                    return candidate
    return None


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def place_tool(data):
    """(path to execute, fd to pass or None, where): the tool in memory, never on the instance's disks."""
    if hasattr(os, "memfd_create"):
        for flags in (_MFD_EXEC, 0):
            try:
                fd = os.memfd_create("aws-ir-tool", flags)
            except OSError:
                continue
            _write_all(fd, data)
            return "/proc/self/fd/%d" % fd, fd, "memfd"
    directory = _exec_tmpfs()
    if directory is None:
        raise HostError("no_memory_location", "neither memfd_create nor an exec-able tmpfs is available; "
                        "the tool was not written to disk and not run")
    path = os.path.join(tempfile.mkdtemp(prefix="aws-ir-", dir=directory), "tool")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o700)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)
    return path, None, "tmpfs:" + directory


def remove_tool(path, fd):
    if fd is not None:
        os.close(fd)
        return
    os.unlink(path)
    os.rmdir(os.path.dirname(path))


def _fill(stream, view):
    """Read into view until it is full or the stream ends; the number of bytes read."""
    filled = 0
    while filled < len(view):
        count = stream.readinto(view[filled:])
        if not count:
            break
        filled += count
    return filled


def stream_image(command, part_size, part_urls, pass_fds=()):
    """Run the tool, upload what it writes to stdout in parts; {"bytes", "sha256", "parts", "tool_rc"}."""
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, bufsize=0, pass_fds=pass_fds)
    digest, total, parts = hashlib.sha256(), 0, 0
    view = memoryview(bytearray(part_size))
    try:
        while True:
            filled = _fill(process.stdout, view)
            if not filled:
                break
            if parts == len(part_urls):
                raise HostError("image_larger_than_plan", "the image is larger than the %d parts of %d bytes planned" % (len(part_urls), part_size))
            digest.update(view[:filled])
            total += filled
            parts += 1
            put_part(part_urls[parts - 1], parts, view[:filled])
            if filled < part_size:
                break
    except BaseException:
        process.kill()
        process.wait()
        raise
    process.stdout.close()
    return {"bytes": total, "sha256": digest.hexdigest(), "parts": parts, "tool_rc": process.wait()}


def acquire(args, summary):
    """The whole acquisition; fills summary in place, raises HostError on failure."""
    tool_url, part_urls = read_plan(args.region, args.parameter)
    data = fetch(tool_url)
    actual = hashlib.sha256(data).hexdigest()
    summary["tool_sha256"] = actual
    if actual != args.tool_sha256.lower():
        raise HostError("tool_sha256_mismatch", "the tool downloaded has SHA-256 %s, not %s as given; it was not run" % (actual, args.tool_sha256))
    path, fd, where = place_tool(data)
    del data
    summary["tool_location"] = where
    try:
        summary.update(stream_image([path] + list(args.tool_arg), args.part_size, part_urls, (fd,) if fd is not None else ()))
    finally:
        remove_tool(path, fd)
    if summary["tool_rc"] != 0:
        raise HostError("tool_failed", "the tool exited %d after writing %d bytes" % (summary["tool_rc"], summary["bytes"]))
    if summary["bytes"] == 0:
        raise HostError("empty_image", "the tool wrote no bytes")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="aws-ir-memory")
    parser.add_argument("--region", required=True)
    parser.add_argument("--parameter", action="append", required=True, help="SecureString parameter holding part of the plan, in order")
    parser.add_argument("--part-size", type=int, required=True)
    parser.add_argument("--tool-sha256", required=True)
    parser.add_argument("--tool-arg", action="append", default=[], help="an argument of the tool (repeat)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    summary = {"status": "failed", "part_size": args.part_size, "written_on_host": [], "started_at": utc_now(),
               "python": "%d.%d" % sys.version_info[:2]}
    try:
        acquire(args, summary)
        summary["status"] = "uploaded"
    except HostError as e:
        summary.update(reason=e.reason, message=sanitize(e))
    except Exception as e:  # pylint: disable=broad-exception-caught  # whatever broke, the summary must be printed
        summary.update(reason="host_error", message=sanitize("%s: %s" % (type(e).__name__, e)))
    summary["ended_at"] = utc_now()
    sys.stdout.write(SUMMARY_MARKER + json.dumps(summary, sort_keys=True) + "\n")
    sys.stdout.flush()
    return 0 if summary["status"] == "uploaded" else 1


if __name__ == "__main__":
    raise SystemExit(main())
