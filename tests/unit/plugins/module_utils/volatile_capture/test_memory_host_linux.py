"""The program the module sends to Linux hosts, run here for real (subprocesses, a local HTTP server)."""
import ast
import base64
import gzip
import hashlib
import http.server
import io
import json
import subprocess
import sys
import threading

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture import memory_host_linux as host

EMIT = [sys.executable, "-c", "import sys; sys.stdout.buffer.write(bytes(range(256)) * 40 + b'tail')"]
STREAM = bytes(range(256)) * 40 + b"tail"


@pytest.fixture
def uploads(monkeypatch):
    sent = []
    monkeypatch.setattr(host, "put_part", lambda url, number, data: sent.append((url, number, bytes(data))))
    return sent


def test_the_image_is_cut_into_parts_in_order_and_hashed_whole(uploads):
    result = host.stream_image(EMIT, 4096, ["u1", "u2", "u3", "u4"])
    assert result == {"bytes": len(STREAM), "sha256": hashlib.sha256(STREAM).hexdigest(), "parts": 3, "tool_rc": 0}
    assert [(url, number, len(data)) for url, number, data in uploads] == [("u1", 1, 4096), ("u2", 2, 4096), ("u3", 3, len(STREAM) - 8192)]
    assert b"".join(data for _u, _n, data in uploads) == STREAM


def test_an_image_larger_than_the_plan_stops_and_says_so(uploads):
    with pytest.raises(host.HostError) as raised:
        host.stream_image(EMIT, 4096, ["u1", "u2"])
    assert raised.value.reason == "image_larger_than_plan"
    assert len(uploads) == 2


def fake_aws(tmp_path, values, order=None):
    """An 'aws' program that answers ssm get-parameters from values, in the order given (default reversed)."""
    script = tmp_path / "aws"
    script.write_text(f"""#!{sys.executable}
import json, sys
values = {json.dumps(values)}
names = sys.argv[sys.argv.index("--names") + 1:]
assert "--with-decryption" in sys.argv
found = [{{"Name": n, "Value": values[n]}} for n in reversed(names) if n in values]
print(json.dumps({{"Parameters": found, "InvalidParameters": [n for n in names if n not in values]}}))
""")
    script.chmod(0o755)
    return str(script)


def packed(urls, pieces):
    text = base64.b64encode(gzip.compress("\n".join(urls).encode())).decode()
    size = len(text) // pieces + 1
    return [text[i:i + size] for i in range(0, len(text), size)]


def test_the_plan_is_read_from_the_parameters_in_the_order_named(tmp_path):
    urls = [f"https://x/{n}" for n in range(30)]
    names = [f"/secops/aws_ir/INC-1/i-1/memory-x/plan-{n:02d}" for n in range(12)]
    aws = fake_aws(tmp_path, dict(zip(names, packed(urls, 12))))
    assert host.read_plan("us-east-1", names, aws=aws) == (urls[0], urls[1:])


def test_a_missing_parameter_or_aws_cli_is_a_clear_failure(tmp_path):
    with pytest.raises(host.HostError, match="parameters not found: /p/plan-01") as raised:
        host.read_plan("us-east-1", ["/p/plan-00", "/p/plan-01"], aws=fake_aws(tmp_path, {"/p/plan-00": "x"}))
    assert raised.value.reason == "plan_unreadable"
    with pytest.raises(host.HostError) as raised:
        host.read_plan("us-east-1", ["/p/plan-00"], aws=str(tmp_path / "no-such-aws"))
    assert raised.value.reason == "no_aws_cli"


def test_a_tool_whose_hash_differs_never_runs(monkeypatch, tmp_path, capsys):
    sentinel = tmp_path / "ran"
    tool = f"#!/bin/sh\ntouch {sentinel}\n".encode()
    monkeypatch.setattr(host, "read_plan", lambda region, names: ("https://tools/avml?X-Amz-Signature=abc", ["https://evidence/part1"]))
    monkeypatch.setattr(host, "fetch", lambda url: tool)
    code = host.main(["--region", "us-east-1", "--parameter", "/p/plan-00", "--part-size", "8388608", "--tool-sha256", "0" * 64,
                      "--tool-arg=/dev/stdout"])
    out = capsys.readouterr().out
    summary = json.loads(out.split(host.SUMMARY_MARKER, 1)[1])
    assert code == 1 and not sentinel.exists()
    assert (summary["status"], summary["reason"], summary["tool_sha256"]) == ("failed", "tool_sha256_mismatch", hashlib.sha256(tool).hexdigest())
    assert "http" not in out


def test_the_tool_runs_from_memory_and_leaves_nothing_behind():
    path, fd, where = host.place_tool(b"#!/bin/sh\necho from-memory \"$1\"\n")
    try:
        done = subprocess.run([path, "arg"], capture_output=True, pass_fds=(fd,) if fd is not None else (), check=True)
    finally:
        host.remove_tool(path, fd)
    assert done.stdout == b"from-memory arg\n"
    assert where == "memfd" and path.startswith("/proc/self/fd/")


class _Parts(http.server.BaseHTTPRequestHandler):
    """Answers PUTs with the queued status codes, keeping the bodies it accepted."""

    statuses = []
    bodies = []

    def do_PUT(self):  # noqa: N802 - the handler's name is fixed by http.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            self.bodies.append((self.path, self.headers["Content-Type"], body))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def part_server(monkeypatch):
    monkeypatch.setattr(host.time, "sleep", lambda seconds: None)
    _Parts.statuses, _Parts.bodies = [], []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Parts)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_part_is_retried_from_memory_after_a_server_error(part_server):
    _Parts.statuses = [503, 500]
    host.put_part(part_server + "/key?partNumber=1&X-Amz-Signature=abc", 1, memoryview(b"part-one-bytes"))
    assert _Parts.bodies == [("/key?partNumber=1&X-Amz-Signature=abc", "application/octet-stream", b"part-one-bytes")]


def test_a_refused_part_fails_without_its_url_in_the_message(part_server):
    _Parts.statuses = [403]
    with pytest.raises(host.HostError) as raised:
        host.put_part(part_server + "/key?partNumber=2&X-Amz-Signature=abc", 2, b"x")
    assert raised.value.reason == "http_error" and str(raised.value) == "uploading part 2: HTTP 403 Forbidden"


def test_sanitize_hides_every_url():
    assert host.sanitize("failed https://b.s3.amazonaws.com/k?X-Amz-Signature=1 and http://x/y") == "failed <url> and <url>"


def test_the_program_is_python_36_syntax_and_prints_its_summary_last(tmp_path):
    source = io.open(host.__file__, encoding="utf-8").read()
    # RHEL 8's platform-python is 3.6; Amazon Linux 2's python3 is 3.7.
    ast.parse(source, feature_version=(3, 6))
    # Run as the host runs it: the source on standard input. No plan can be read here, so it fails cleanly.
    done = subprocess.run([sys.executable, "-", "--region", "us-east-1", "--parameter", "/p/plan-00", "--part-size", "8388608",
                           "--tool-sha256", "0" * 64], input=source.encode(), capture_output=True, check=False,
                          env={"PATH": str(tmp_path)})
    last = done.stdout.decode().splitlines()[-1]
    assert done.returncode == 1 and last.startswith(host.SUMMARY_MARKER)
    assert json.loads(last[len(host.SUMMARY_MARKER):])["reason"] == "no_aws_cli"
