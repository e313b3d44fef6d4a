# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Memory images through SSM Run Command: AVML on Linux, WinPmem on Windows, streamed to S3 by the host.

Per instance the module creates a multipart upload of
<prefix>/memory/<instance>/memory.<lime|raw>, sizes its parts from the
instance's memory (DescribeInstanceTypes), hands the presigned URLs to the host
through short-lived SecureString parameters (memory_plan), and sends one command
that names them. When the command ends it deletes the parameters, lists the
parts, completes the upload itself, reads the image back and compares its
SHA-256 with the one the host computed while streaming. The upload of a host
that failed is aborted, never completed: a partial image is not evidence anyone
can verify. The state of an acquisition lives in AWS (the command's Comment and
text, the open upload), so a re-run finds and finishes it instead of starting
another.
"""

import datetime
import hashlib
import inspect
import json
import re

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture import memory_host_linux
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture import run_command
from ansible_collections.secops.aws_ir.plugins.module_utils.actions import REDACTED
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import read_artifact
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import s3_uri
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.command_output import read_outputs
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AWS_IR_COLLECTION_VERSION
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import validate_bucket_name
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import describe_instance_types
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import describe_instances
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory_host_windows import PROGRAM as WINDOWS_PROGRAM
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory_plan import PARAMETER_ROOT
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory_plan import encode
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory_plan import expiration_policy
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory_plan import parameter_names
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory_plan import parameter_path
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory_plan import part_size_for
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory_plan import planned_parts
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory_plan import presign
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory_plan import url_lifetime
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.shell_quote import ps_quote
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.shell_quote import sh_quote
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_documents import LINUX_DOCUMENT
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_documents import WINDOWS_DOCUMENT

PURPOSE = "memory"
# What each platform runs, with the arguments that make the tool write the image to its standard output.
TOOLS = {
    "linux": {"tool": "avml", "arguments": ("/dev/stdout",), "format": "lime", "document": LINUX_DOCUMENT},
    "windows": {"tool": "winpmem", "arguments": ("-",), "format": "raw", "document": WINDOWS_DOCUMENT},
}
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_S3_URI = re.compile(r"^s3://([^/]+)/(.+)$")
_PARAMETER_NAME = re.compile(re.escape(PARAMETER_ROOT) + r"/[A-Za-z0-9._/-]+?/plan-[0-9]+")
_SUMMARY = re.compile(r"^" + re.escape(memory_host_linux.SUMMARY_MARKER) + r"(\{.*\})\s*$", re.M)
_DELETE_MAX = 10
_PLAN_DESCRIPTION = "secops.aws_ir upload plan (presigned URLs) of a memory image; deleted when its command ends"


class MemoryOptionError(AwsIrError, ValueError):
    """A memory option that cannot be used (the message names the field and the value)."""


def validate_tools(memory_tools):
    """{platform: {"s3_uri", "bucket", "key", "version_id", "sha256"}} from the memory_tools option."""
    tools = {}
    for platform, given in (memory_tools or {}).items():
        if not given:
            continue
        field = f"memory_tools.{platform}"
        match = _S3_URI.match(given.get("s3_uri") or "")
        if not match:
            raise MemoryOptionError(f"{field}.s3_uri {given.get('s3_uri')!r} is not an S3 URI (s3://bucket/key)")
        if not _SHA256.match(given.get("sha256") or ""):
            raise MemoryOptionError(f"{field}.sha256 {given.get('sha256')!r} is not a SHA-256 (64 hexadecimal digits)")
        tools[platform] = {"s3_uri": given["s3_uri"], "bucket": validate_bucket_name(match.group(1), f"{field}.s3_uri bucket"),
                           "key": match.group(2), "version_id": given.get("version_id"), "sha256": given["sha256"].lower()}
    if not tools:
        raise MemoryOptionError("memory is true but memory_tools names no tool (memory_tools.linux or memory_tools.windows)")
    return tools


def check_tools_exist(s3, tools):
    """HeadObject of each tool, so a wrong location fails before any change."""
    for platform, tool in tools.items():
        where = {"Bucket": tool["bucket"], "Key": tool["key"]}
        if tool["version_id"]:
            where["VersionId"] = tool["version_id"]
        try:
            s3.head_object(aws_retry=True, **where)
        except is_boto3_error_code(["NoSuchKey", "404", "NoSuchBucket", "403", "AccessDenied"]) as e:
            code = e.response.get("Error", {}).get("Code")
            raise MemoryOptionError(f"memory_tools.{platform}.s3_uri {tool['s3_uri']!r} cannot be read ({code})") from None


def memory_sizes(ec2, instance_ids):
    """{instance_id: memory in MiB}, from DescribeInstances and DescribeInstanceTypes (MemoryInfo.SizeInMiB)."""
    types = {i: instance["InstanceType"] for i, instance in describe_instances(ec2, instance_ids).items()}
    described = describe_instance_types(ec2, types.values())
    return {i: described[t]["MemoryInfo"]["SizeInMiB"] for i, t in types.items()}


def image_key(prefix, instance_id, platform):
    head = f"{prefix.rstrip('/')}/" if prefix else ""
    return f"{head}memory/{instance_id}/memory.{TOOLS[platform]['format']}"


def program_note(name, lines):
    """How the action record names a host program instead of repeating it: file, length, SHA-256, collection version."""
    digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
    return f"<{name}: {len(lines)} lines, sha256 {digest}, from secops.aws_ir {AWS_IR_COLLECTION_VERSION}>"


def linux_commands(region, names, part_size, tool_sha256):
    """(lines, recorded): find python3, run the host program (memory_host_linux) from a quoted here-document.

    recorded: the lines the action record keeps, the program replaced by program_note.
    """
    arguments = [f"--region={region}", f"--part-size={part_size}", f"--tool-sha256={tool_sha256}"]
    arguments += [f"--tool-arg={argument}" for argument in TOOLS["linux"]["arguments"]]
    arguments += [f"--parameter={name}" for name in names]
    no_python = json.dumps({"status": "failed", "reason": "no_python", "message": "no python3 on the host to run the acquisition"})
    head = [
        'ir_python="$(command -v python3 || command -v /usr/libexec/platform-python || true)"',
        f'if [ -z "$ir_python" ]; then printf \'%s\\n\' {sh_quote(memory_host_linux.SUMMARY_MARKER + no_python)}; exit 1; fi',
        'exec "$ir_python" - ' + " ".join(sh_quote(argument) for argument in arguments) + " <<'IR_MEMORY_PROGRAM'",
    ]
    program = inspect.getsource(memory_host_linux).splitlines()
    return head + program + ["IR_MEMORY_PROGRAM"], head + [program_note("memory_host_linux.py", program), "IR_MEMORY_PROGRAM"]


def windows_commands(region, names, part_size, tool_sha256):
    """(lines, recorded): the inputs as quoted PowerShell literals, then the host program (memory_host_windows)."""
    head = [
        f"$ir_region = {ps_quote(region)}",
        f"$ir_parameters = @({', '.join(ps_quote(name) for name in names)})",
        f"$ir_part_size = {int(part_size)}",
        f"$ir_tool_sha256 = {ps_quote(tool_sha256)}",
        f"$ir_tool_args = @({', '.join(ps_quote(argument) for argument in TOOLS['windows']['arguments'])})",
    ]
    program = WINDOWS_PROGRAM.strip().splitlines()
    return head + program, head + [program_note("memory_host_windows.PROGRAM", program)]


class MemoryRun:
    """One module run's memory acquisitions: clients, options, and the calls it records."""

    def __init__(self, log, clients, ticket, output, timeouts, tools):
        """clients: {"ssm", "s3"} (the S3 client signs with SigV4); timeouts: {"delivery", "execution"} in seconds."""
        self.log = log
        self.ssm, self.s3 = clients["ssm"], clients["s3"]
        self.ticket = ticket
        self.output = output  # {"bucket", "prefix"}
        self.timeouts = timeouts
        self.tools = tools
        self.comment = run_command.comment_for(ticket, PURPOSE)
        self.now = datetime.datetime.now(datetime.timezone.utc)

    # --- starting -------------------------------------------------------------------------------------

    def start(self, instance_id, platform, memory_mib):
        """Create the upload, put the plan, send the command; the acquisition (dict)."""
        spec, tool = TOOLS[platform], self.tools[platform]
        bucket, key = self.output["bucket"], image_key(self.output["prefix"], instance_id, platform)
        part_size = part_size_for(memory_mib)
        lifetime = url_lifetime(self.timeouts["delivery"], self.timeouts["execution"])
        created = self.log.call(self.s3, "s3", "CreateMultipartUpload", s3_uri(bucket, key), {"Bucket": bucket, "Key": key},
                                instance_ids=[instance_id], after_from=lambda r: {"upload_id": r["UploadId"]})
        acquisition = {"instance_id": instance_id, "platform": platform, "key": key,
                       "upload_id": created["UploadId"] if created else "(planned)", "parameters": [], "command_id": None}
        try:
            values = encode(presign(self.s3, bucket, key, acquisition["upload_id"], planned_parts(memory_mib, part_size), tool, lifetime))
            path = parameter_path(self.ticket, instance_id, self.now.strftime("%Y%m%dT%H%M%SZ"))
            acquisition["parameters"] = parameter_names(path, len(values))
            self._put_plan(instance_id, acquisition["parameters"], values, lifetime)
            render = linux_commands if platform == "linux" else windows_commands
            lines, recorded = render(self.ssm.meta.region_name, acquisition["parameters"], part_size, tool["sha256"])
            sent = run_command.send(self.log, self.ssm, [instance_id], spec["document"], lines, self.comment, self.output,
                                    self.timeouts, recorded_commands=recorded)
        except (AwsIrError, ClientError, BotoCoreError):
            self._clean_up(acquisition)
            raise
        acquisition["command_id"] = sent[instance_id]
        return acquisition

    def _put_plan(self, instance_id, names, values, lifetime):
        policy = expiration_policy(self.now, lifetime)
        for name, value in zip(names, values):
            parameters = {"Name": name, "Value": value, "Type": "SecureString", "Tier": "Advanced", "Policies": policy,
                          "Description": _PLAN_DESCRIPTION}
            try:
                self.log.call(self.ssm, "ssm", "PutParameter", name, parameters, instance_ids=[instance_id], recorded=dict(parameters, Value=REDACTED))
            except (ClientError, BotoCoreError) as e:
                code = e.response.get("Error", {}).get("Code") if isinstance(e, ClientError) else type(e).__name__
                # AWS may echo the value in its message: only the code is passed on.
                raise AwsIrError(f"PutParameter {name} failed ({code}); the value is not shown because it holds presigned URLs") from None

    # --- finding an earlier one -----------------------------------------------------------------------

    def resume(self, instance_id, platform, command_id):
        """The acquisition an earlier run started with command_id (its upload is None when none is open)."""
        commands = self.ssm.list_commands(aws_retry=True, CommandId=command_id)["Commands"]
        command = commands[0] if commands else {}
        text = "\n".join(command.get("Parameters", {}).get("commands", []))
        key = image_key(self.output["prefix"], instance_id, platform)
        return {"instance_id": instance_id, "platform": platform, "key": key, "command_id": command_id,
                "parameters": sorted(set(_PARAMETER_NAME.findall(text))),
                "upload_id": self._open_upload(key, command.get("RequestedDateTime"))}

    def _open_upload(self, key, requested):
        """The newest multipart upload of key begun before the command was sent, or None."""
        uploads = paginate(self.s3, "list_multipart_uploads", Bucket=self.output["bucket"], Prefix=key).get("Uploads", [])
        mine = [u for u in uploads if u["Key"] == key and (requested is None or u["Initiated"] <= requested)]
        return max(mine, key=lambda u: u["Initiated"])["UploadId"] if mine else None

    def existing_image(self, instance_id, platform):
        """True when an image of this instance is already in the bucket (found by HeadObject)."""
        try:
            self.s3.head_object(aws_retry=True, Bucket=self.output["bucket"], Key=image_key(self.output["prefix"], instance_id, platform))
        except is_boto3_error_code(["NoSuchKey", "404"]):
            return False
        return True

    # --- finishing ------------------------------------------------------------------------------------

    def finish(self, acquisition, invocation):
        """(artifacts, outcome) of an acquisition whose command is terminal, or still running."""
        base = {"command_id": acquisition["command_id"], "document_name": TOOLS[acquisition["platform"]]["document"],
                "upload_id": acquisition["upload_id"]}
        if not run_command.is_terminal(invocation):
            return [], dict(base, status="still_running",
                            detail="the wait ran out; the command was left running, not re-sent; a re-run finishes the upload")
        logs = read_outputs(self.s3, self.output, acquisition["command_id"], acquisition["instance_id"], base["document_name"], "memory_log")
        summary = self._summary(logs, acquisition, invocation)
        artifacts = [dict((k, v) for k, v in artifact.items() if k != "head") for artifact in logs.values()]
        self._delete_plan(acquisition)
        if acquisition["upload_id"] is None:
            return self._found(acquisition, summary, artifacts, base)
        if run_command.outcome_of(invocation) == "success" and summary.get("status") == "uploaded":
            return self._complete(acquisition, summary, artifacts, base)
        self._abort(acquisition)
        return artifacts, dict(base, status=self._failure_status(summary, invocation), detail=self._failure_detail(summary, invocation))

    def found_only(self, instance_id, platform):
        """(artifacts, outcome) for an image already in the bucket whose command is no longer listed."""
        acquisition = {"instance_id": instance_id, "platform": platform, "key": image_key(self.output["prefix"], instance_id, platform),
                       "upload_id": None, "command_id": None, "parameters": []}
        return self._found(acquisition, {}, [], {"command_id": None, "document_name": TOOLS[platform]["document"], "upload_id": None})

    def _summary(self, logs, acquisition, invocation):
        """The host's summary line, from the stdout object, else from GetCommandInvocation ({} when absent)."""
        text = logs["stdout"]["head"].decode("utf-8", "replace") if "stdout" in logs else ""
        if not _SUMMARY.search(text):
            answer = self.ssm.get_command_invocation(aws_retry=True, CommandId=acquisition["command_id"], InstanceId=acquisition["instance_id"])
            text = answer.get("StandardOutputContent", "")
        found = _SUMMARY.findall(text)
        try:
            return json.loads(found[-1]) if found else {}
        except ValueError:
            return {}

    def _delete_plan(self, acquisition):
        """DeleteParameters for the plan parameters that still exist (none on a re-run)."""
        names = self._existing_parameters(acquisition["parameters"])
        for start in range(0, len(names), _DELETE_MAX):
            batch = names[start:start + _DELETE_MAX]
            self.log.call(self.ssm, "ssm", "DeleteParameters", batch[0].rsplit("/", 1)[0], {"Names": batch},
                          instance_ids=[acquisition["instance_id"]])

    def _existing_parameters(self, names):
        folders = sorted({name.rsplit("/", 1)[0] for name in names})
        existing = set()
        for folder in folders:
            found = paginate(self.ssm, "describe_parameters", ParameterFilters=[{"Key": "Path", "Option": "OneLevel", "Values": [folder]}])
            existing.update(p["Name"] for p in found.get("Parameters", []))
        return [name for name in names if name in existing]

    def _clean_up(self, acquisition):
        """After a failed start: delete what was put, abort the upload; errors here must not hide the first one."""
        try:
            self._delete_plan(acquisition)
            self._abort(acquisition)
        except (AwsIrError, ClientError, BotoCoreError):
            pass

    def _abort(self, acquisition):
        if acquisition["upload_id"] is None:
            return
        bucket, key = self.output["bucket"], acquisition["key"]
        self.log.call(self.s3, "s3", "AbortMultipartUpload", s3_uri(bucket, key),
                      {"Bucket": bucket, "Key": key, "UploadId": acquisition["upload_id"]}, instance_ids=[acquisition["instance_id"]])

    def _complete(self, acquisition, summary, artifacts, base):
        bucket, key = self.output["bucket"], acquisition["key"]
        parts = paginate(self.s3, "list_parts", Bucket=bucket, Key=key, UploadId=acquisition["upload_id"]).get("Parts", [])
        listed = [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in sorted(parts, key=lambda p: p["PartNumber"])]
        completed = self.log.call(self.s3, "s3", "CompleteMultipartUpload", s3_uri(bucket, key),
                                  {"Bucket": bucket, "Key": key, "UploadId": acquisition["upload_id"], "MultipartUpload": {"Parts": listed}},
                                  instance_ids=[acquisition["instance_id"]],
                                  recorded={"Bucket": bucket, "Key": key, "UploadId": acquisition["upload_id"], "Parts": len(listed),
                                            "Bytes": sum(p["Size"] for p in parts)},
                                  after_from=lambda r: {"version_id": r.get("VersionId")})
        return self._found(acquisition, summary, artifacts, base, version_id=completed.get("VersionId"))

    def _found(self, acquisition, summary, artifacts, base, version_id=None):
        """Read the image back (all of it: size and SHA-256 from S3) and compare with the host's summary."""
        image = read_artifact(self.s3, self.output["bucket"], acquisition["key"], version_id=version_id)
        if image is None:
            return artifacts, dict(base, status="failed", detail=f"no open upload and no image at {s3_uri(self.output['bucket'], acquisition['key'])}; "
                                                                 "run again with force: true to acquire anew")
        image.pop("head")
        platform = acquisition["platform"]
        image.update(kind="memory_image", format=TOOLS[platform]["format"], tool=TOOLS[platform]["tool"],
                     tool_s3_uri=self.tools.get(platform, {}).get("s3_uri"), command_id=acquisition["command_id"],
                     host=_host_facts(summary))
        matches = image["host"].get("sha256") == image["sha256"] and image["host"].get("bytes") == image["size_bytes"]
        image["sha256_matches_host"] = matches if summary else None
        if summary and not matches:
            return [image] + artifacts, dict(base, status="hash_mismatch",
                                             detail=f"S3 holds {image['size_bytes']} bytes with SHA-256 {image['sha256']}, the host streamed "
                                                    f"{image['host'].get('bytes')} bytes with SHA-256 {image['host'].get('sha256')}")
        detail = None if summary else "found in the bucket from an earlier run; its command is no longer listed, so there is no host hash to compare"
        return [image] + artifacts, dict(base, status="captured", detail=detail)

    @staticmethod
    def _failure_status(summary, invocation):
        outcome = run_command.outcome_of(invocation)
        return "failed" if summary or outcome == "success" else outcome

    @staticmethod
    def _failure_detail(summary, invocation):
        if summary.get("reason"):
            said = f"the host stopped ({summary['reason']}): {summary.get('message')}"
        elif run_command.outcome_of(invocation) == "success":
            said = "the host printed no summary line (the instance role may lack s3:PutObject for the output, or the script did not run)"
        else:
            said = run_command.describe_end(invocation)
        return f"{said}; the multipart upload was aborted, no image was kept"


def _host_facts(summary):
    """What the host said about its acquisition, without anything else it printed."""
    keys = ("bytes", "sha256", "parts", "part_size", "tool_sha256", "tool_location", "tool_rc", "written_on_host",
            "started_at", "ended_at")
    return {key: summary[key] for key in keys if key in summary}
