"""Memory images and custom commands for real, in the lab's local-execution mode.

The commands run on this machine; a stand-in for AVML (standin_avml.py) writes a known byte stream of
several parts, the host program uploads it with real HTTP PUTs to presigned UploadPart URLs on the
lab's S3, and everything is read back through an independent client.
"""

import hashlib
import json
from pathlib import Path

import pytest

from tests.end_to_end import standin_avml
from tests.end_to_end.support import REPO
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import run_playbook_raw
from tests.end_to_end.support import task_result

CAPTURE = str(REPO / "tests" / "end_to_end" / "playbooks" / "capture.yml")
TOOLS_BUCKET = "ir-tools-123456789012"
TOOL = b"#!/usr/bin/env python3\n" + Path(standin_avml.__file__).read_bytes()
# Distinct dummy controller credentials, so that any of them leaking anywhere can be found.
CONTROLLER = {"AWS_ACCESS_KEY_ID": "lab-controller-access-key", "AWS_SECRET_ACCESS_KEY": "controller-secret-key-lab-0000000000000000",
              "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjELAB-controller-session-token-8f1d2c"}
# The parameter values carrying the URLs are base64 of gzip, which always begins "H4sI".
SECRETS = list(CONTROLLER.values()) + ["X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "H4sI"]


@pytest.fixture
def tool(local_lab, local_demo):
    """The stand-in tool in a tools bucket; the memory_tools option that names it."""
    s3 = aws(local_lab, "s3")
    s3.create_bucket(Bucket=TOOLS_BUCKET)
    s3.put_object(Bucket=TOOLS_BUCKET, Key="avml/avml", Body=TOOL)
    local_lab.clear_requests()
    return {"linux": {"s3_uri": f"s3://{TOOLS_BUCKET}/avml/avml", "sha256": hashlib.sha256(TOOL).hexdigest()}}


def capture(lab, args):
    code, output = run_playbook(lab, CAPTURE, extra_vars={"capture_args": args})
    return code, task_result(output, "Capture")


def memory_args(demo, tools, **more):
    return dict({"instance_ids": [demo["compromised_instance_id"]], "ticket": TICKET, "bucket": demo["bucket"], "memory": True,
                 "memory_tools": tools}, **more)


def open_uploads(lab, bucket):
    return aws(lab, "s3").list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def plan_parameters(lab):
    found = aws(lab, "ssm").describe_parameters(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": ["/secops/aws_ir"]}])
    return found["Parameters"]


def test_the_memory_image_streams_in_parts_and_its_recorded_hash_is_the_object_s(local_lab, local_demo, tool):
    code, result = capture(local_lab, memory_args(local_demo, tool))
    assert code == 0, result.get("msg")
    instance = result["instances"][0]
    assert instance["outcome"]["memory"]["status"] == "captured", instance["outcome"]
    image = next(a for a in instance["artifacts"] if a["kind"] == "memory_image")
    data = aws(local_lab, "s3").get_object(Bucket=image["bucket"], Key=image["key"], VersionId=image["version_id"])["Body"].read()
    # The recorded SHA-256 is the hash of the object read back, and of the stream the stand-in wrote.
    assert (image["sha256"], image["size_bytes"]) == (hashlib.sha256(data).hexdigest(), len(data))
    assert (image["sha256"], image["size_bytes"]) == (standin_avml.sha256(), standin_avml.LENGTH)
    assert image["sha256_matches_host"] is True and image["host"]["sha256"] == image["sha256"]
    # Several parts of the size planned for a 1 GiB t3.micro (8 MiB), each a real PUT to a presigned URL.
    assert (image["host"]["parts"], image["host"]["part_size"]) == (3, 8 * 1024 * 1024)
    assert [r["action"] for r in local_lab.requests() if r["action"] == "UploadPart"] == ["UploadPart"] * 3
    # Nothing written to disk on Linux: the tool ran from memory.
    assert (image["host"]["tool_location"], image["host"]["written_on_host"]) == ("memfd", [])
    assert image["key"] == f"{TICKET}/volatile/memory/{local_demo['compromised_instance_id']}/memory.lime"
    # The plan is gone, no upload is left open.
    assert plan_parameters(local_lab) == [] and open_uploads(local_lab, local_demo["bucket"]) == []
    put = [a["target"] for a in result["actions"] if a["action"] == "PutParameter"]
    deleted = [n for a in result["actions"] if a["action"] == "DeleteParameters" for n in a["parameters"]["Names"]]
    # About 270 URLs for a 1 GiB instance do not fit one 8 KB parameter; every one put is deleted.
    assert len(put) >= 2 and deleted == put and result["actions"][-1]["action"] == "CompleteMultipartUpload"

    # A second run finds the image and its command: it changes nothing and records the same version.
    local_lab.clear_requests()
    code, again = capture(local_lab, memory_args(local_demo, tool))
    assert code == 0 and again["changed"] is False and mutating(local_lab.requests()) == []
    assert next(a for a in again["instances"][0]["artifacts"] if a["kind"] == "memory_image")["version_id"] == image["version_id"]


def test_a_tool_whose_hash_differs_is_not_run_and_its_upload_is_aborted(local_lab, local_demo, tool):
    tool["linux"]["sha256"] = "0" * 64
    code, result = capture(local_lab, memory_args(local_demo, tool))
    memory = result["instances"][0]["outcome"]["memory"]
    assert code == 0 and memory["status"] == "failed"
    assert "tool_sha256_mismatch" in memory["detail"] and hashlib.sha256(TOOL).hexdigest() in memory["detail"]
    assert result["instances"][0]["outcome"]["status"] == "memory_failed"
    assert [r for r in local_lab.requests() if r["action"] == "UploadPart"] == []
    assert "AbortMultipartUpload" in [a["action"] for a in result["actions"]]
    assert open_uploads(local_lab, local_demo["bucket"]) == [] and plan_parameters(local_lab) == []


def test_custom_commands_run_as_written_and_a_ticket_s_characters_stay_literal(local_lab, local_demo, tmp_path):
    sentinel = tmp_path / "ran"
    ticket = "INC 7 =+@:/ x"
    commands = ["echo 'a;b' | tr ';' ,", f"printf '%s\\n' '$(touch {sentinel})'", "no-such-tool-here --x", "id -u"]
    code, result = capture(local_lab, {"instance_ids": [local_demo["compromised_instance_id"]], "ticket": ticket,
                                       "bucket": local_demo["bucket"], "triage_profile": "custom", "custom_commands": {"linux": commands}})
    assert code == 0, result.get("msg")
    stdout = next(a for a in result["instances"][0]["artifacts"] if a["kind"] == "triage_stdout")
    data = aws(local_lab, "s3").get_object(Bucket=stdout["bucket"], Key=stdout["key"])["Body"].read()
    assert data.startswith(f"##IR## ticket={ticket} profile=custom\n".encode())
    outputs = [data[s["offset"]:s["offset"] + s["length"]] for s in stdout["steps"]]
    assert [(s["name"], s["tool"], s["rc"]) for s in stdout["steps"]] == [
        ("custom_1", "echo", 0), ("custom_2", "printf", 0), ("custom_3", "no-such-tool-here", 127), ("custom_4", "id", 0)]
    assert outputs[0] == b"a,b\n" and outputs[1] == f"$(touch {sentinel})\n".encode()
    assert [s["command"] for s in stdout["steps"]] == commands
    assert not sentinel.exists()
    comment = aws(local_lab, "ssm").list_commands(InstanceId=local_demo["compromised_instance_id"])["Commands"][0]["Comment"]
    assert comment.startswith(f"aws-ir {ticket} triage custom-")


def test_respond_with_memory_records_the_image_and_no_credential_or_presigned_url_leaks(local_lab, local_demo, tool):
    done = run_playbook_raw(local_lab, "respond.yml", "-vvv", extra_vars={"ticket": TICKET, "memory": True, "memory_tools": tool},
                            env=dict(CONTROLLER, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_NOCOLOR="1"))
    assert done.returncode == 0, done.stdout[-3000:]
    s3, ssm = aws(local_lab, "s3"), aws(local_lab, "ssm")
    manifest_text = s3.get_object(Bucket=local_demo["bucket"], Key=f"{TICKET}/manifest.json")["Body"].read().decode()
    manifest = json.loads(manifest_text)

    # The manifest records the memory image with its size and SHA-256, which are the object's.
    record = manifest["instances"][local_demo["compromised_instance_id"]]
    image = next(a for a in record["artifacts"] if a["kind"] == "memory_image")
    data = s3.get_object(Bucket=image["bucket"], Key=image["key"], VersionId=image["version_id"])["Body"].read()
    assert (image["size_bytes"], image["sha256"]) == (len(data), hashlib.sha256(data).hexdigest()) == (standin_avml.LENGTH, standin_avml.sha256())
    assert record["outcome"]["volatile_capture"]["memory"]["status"] == "captured"

    # The URLs did reach the host (three parts were PUT through them)...
    requests = local_lab.requests()
    assert len([r for r in requests if r["action"] == "UploadPart"]) == 3
    # ...yet no credential, session token or presigned URL is in the -vvv output, the manifest, the command text
    # (as sent, in the lab's log, and as SSM keeps it) or the command output the host wrote.
    sent = json.dumps([r["params"] for r in requests if r["action"] == "SendCommand"])
    kept = json.dumps([c["Parameters"] for c in ssm.list_commands()["Commands"]])
    outputs = "".join(s3.get_object(Bucket=a["bucket"], Key=a["key"])["Body"].read().decode("utf-8", "replace")
                      for a in record["artifacts"] if a["kind"].startswith(("memory_log", "triage")))
    places = {"-vvv output": done.stdout + done.stderr, "manifest": manifest_text, "SendCommand": sent, "ListCommands": kept,
              "command output": outputs}
    for place, text in places.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret} found in the {place}"
    assert "<redacted>" not in sent  # the lab redacts presigned URLs in its log: none was there to redact
    values = [a["parameters"]["Value"] for a in manifest["actions"] if a["action"] == "PutParameter"]
    assert values and set(values) == {"<redacted>"}
    # The output searched is the verbose one: module arguments and connection details are in it.
    assert "ESTABLISH LOCAL CONNECTION" in done.stdout and "module_args:" in done.stdout and "memory_tools:" in done.stdout
