import hashlib
import json
import re
import subprocess
import sys
import types

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture import memory
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture import memory_host_linux
from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError

# SSM command ids are UUIDs (36 characters): botocore refuses a shorter CommandId.
COMMAND_ID = "0b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


IMAGE = b"LiME" + bytes(range(256)) * 100
SHA = hashlib.sha256(IMAGE).hexdigest()
TOOLS = {"linux": {"s3_uri": "s3://tools/avml", "bucket": "tools", "key": "avml", "version_id": None, "sha256": "a" * 64}}
NAMES = ["/secops/aws_ir/INC-1/i-1/memory-20261129T201501Z/plan-00", "/secops/aws_ir/INC-1/i-1/memory-20261129T201501Z/plan-01"]


class Body:
    def __init__(self, data):
        self.data = data

    def iter_chunks(self, size):
        for start in range(0, len(self.data), size):
            yield self.data[start:start + size]


def summary_line(**fields):
    summary = {"status": "uploaded", "bytes": len(IMAGE), "sha256": SHA, "parts": 2, "part_size": 8388608, "tool_rc": 0,
               "tool_sha256": "a" * 64, "tool_location": "memfd", "written_on_host": []}
    summary.update(fields)
    return (memory_host_linux.SUMMARY_MARKER + json.dumps(summary) + "\n").encode()


def objects(stdout, image=IMAGE):
    """get_object answers: the command's stdout object, no stderr, and the image."""
    def get_object(params):
        if params["Key"].endswith("/stdout"):
            return {"Body": Body(stdout), "VersionId": "v-out"}
        if params["Key"].endswith("memory.lime"):
            return {"Body": Body(image), "VersionId": params.get("VersionId", "v-img")}
        raise pytest.fail.Exception("unexpected key")  # pragma: no cover
    return get_object


def make_run(fake_client, aws_error, stdout, existing=None, image=IMAGE, stdout_missing=False):
    existing = NAMES if existing is None else existing

    def get_object(params):
        if stdout_missing and params["Key"].endswith("/stdout") or params["Key"].endswith("/stderr"):
            raise aws_error("NoSuchKey", "GetObject")
        return objects(stdout, image)(params)
    s3 = fake_client(get_object=get_object,
                     list_parts={"Parts": [{"PartNumber": 2, "ETag": '"e2"', "Size": len(IMAGE) - 8}, {"PartNumber": 1, "ETag": '"e1"', "Size": 8}]},
                     complete_multipart_upload={"VersionId": "v-img", "ResponseMetadata": {"RequestId": "r"}},
                     abort_multipart_upload={"ResponseMetadata": {"RequestId": "r"}})
    ssm = fake_client(describe_parameters={"Parameters": [{"Name": n} for n in existing]},
                      delete_parameters={"DeletedParameters": existing, "ResponseMetadata": {"RequestId": "r"}},
                      get_command_invocation={"StandardOutputContent": ""})
    log = ActionLog("volatile_capture", False)
    run = memory.MemoryRun(log, {"ssm": ssm, "s3": s3}, "INC-1", {"bucket": "evidence", "prefix": "INC-1/volatile"},
                           {"delivery": 600, "execution": 7200}, TOOLS)
    return run, log, s3, ssm


def acquisition(upload_id="up-1"):
    return {"instance_id": "i-1", "platform": "linux", "key": "INC-1/volatile/memory/i-1/memory.lime", "upload_id": upload_id,
            "parameters": NAMES, "command_id": COMMAND_ID}


SUCCESS = {"Status": "Success", "StatusDetails": "Success", "ResponseCode": 0}


def test_a_finished_upload_is_completed_with_its_listed_parts_and_read_back(fake_client, aws_error):
    run, log, s3, _ssm = make_run(fake_client, aws_error, summary_line())
    artifacts, outcome = run.finish(acquisition(), SUCCESS)
    assert outcome["status"] == "captured" and outcome["upload_id"] == "up-1"
    assert [r["action"] for r in log.records] == ["DeleteParameters", "CompleteMultipartUpload"]
    assert log.records[0]["parameters"] == {"Names": NAMES}
    complete = [p for name, p in s3.calls if name == "complete_multipart_upload"][0]
    assert complete["MultipartUpload"] == {"Parts": [{"PartNumber": 1, "ETag": '"e1"'}, {"PartNumber": 2, "ETag": '"e2"'}]}
    image = [a for a in artifacts if a["kind"] == "memory_image"][0]
    assert (image["sha256"], image["size_bytes"], image["version_id"], image["sha256_matches_host"]) == (SHA, len(IMAGE), "v-img", True)
    assert image["host"]["tool_location"] == "memfd" and image["format"] == "lime" and image["tool"] == "avml"
    # The image read back is the version the completion made.
    assert [p.get("VersionId") for name, p in s3.calls if name == "get_object" and p["Key"].endswith("memory.lime")] == ["v-img"]
    assert [a["kind"] for a in artifacts] == ["memory_image", "memory_log_stdout"]


def test_bytes_in_s3_that_differ_from_what_the_host_streamed_are_a_hash_mismatch_and_kept(fake_client, aws_error):
    run, _log, _s3, _ssm = make_run(fake_client, aws_error, summary_line(), image=IMAGE[:-1] + b"X")
    artifacts, outcome = run.finish(acquisition(), SUCCESS)
    assert outcome["status"] == "hash_mismatch" and SHA in outcome["detail"]
    assert [a["sha256_matches_host"] for a in artifacts if a["kind"] == "memory_image"] == [False]


def test_a_host_that_failed_gets_its_upload_aborted_never_completed(fake_client, aws_error):
    line = summary_line(status="failed", reason="tool_failed", message="the tool exited 3 after writing 10 bytes")
    run, log, _s3, _ssm = make_run(fake_client, aws_error, line)
    _artifacts, outcome = run.finish(acquisition(), {"Status": "Failed", "StatusDetails": "Failed", "ResponseCode": 1})
    assert [r["action"] for r in log.records] == ["DeleteParameters", "AbortMultipartUpload"]
    assert outcome["status"] == "failed"
    assert "tool_failed" in outcome["detail"] and "the tool exited 3" in outcome["detail"] and "aborted" in outcome["detail"]


def test_a_timed_out_acquisition_without_summary_reports_the_timeout(fake_client, aws_error):
    run, log, _s3, ssm = make_run(fake_client, aws_error, b"", stdout_missing=True)
    _artifacts, outcome = run.finish(acquisition(), {"Status": "TimedOut", "StatusDetails": "ExecutionTimedOut", "ResponseCode": 137})
    assert outcome["status"] == "execution_timed_out" and "ResponseCode 137" in outcome["detail"]
    assert "get_command_invocation" in ssm.names()  # the summary was looked for in the API's output too
    assert [r["action"] for r in log.records] == ["DeleteParameters", "AbortMultipartUpload"]


def test_the_summary_is_taken_from_the_api_when_the_output_object_is_missing(fake_client, aws_error):
    run, log, _s3, ssm = make_run(fake_client, aws_error, b"", stdout_missing=True)
    ssm.answers["get_command_invocation"] = {"StandardOutputContent": summary_line().decode()}
    _artifacts, outcome = run.finish(acquisition(), SUCCESS)
    assert outcome["status"] == "captured"
    assert "CompleteMultipartUpload" in [r["action"] for r in log.records]


def test_a_running_acquisition_is_left_alone(fake_client, aws_error):
    run, log, s3, ssm = make_run(fake_client, aws_error, b"")
    artifacts, outcome = run.finish(acquisition(), {"Status": "InProgress"})
    assert (artifacts, outcome["status"], log.records, s3.calls, ssm.calls) == ([], "still_running", [], [], [])


def test_a_rerun_deletes_no_parameter_twice_and_reads_the_completed_image(fake_client, aws_error):
    run, log, s3, _ssm = make_run(fake_client, aws_error, summary_line(), existing=[])
    artifacts, outcome = run.finish(acquisition(upload_id=None), SUCCESS)
    assert log.records == [] and outcome["status"] == "captured"
    assert "complete_multipart_upload" not in s3.names()
    assert [a["sha256_matches_host"] for a in artifacts if a["kind"] == "memory_image"] == [True]


def test_a_refused_put_parameter_never_shows_the_value(fake_client, aws_error):
    run, log, _s3, ssm = make_run(fake_client, aws_error, b"")
    ssm.answers["put_parameter"] = aws_error("ValidationException", "PutParameter")
    with pytest.raises(AwsIrError) as raised:
        run._put_plan("i-1", NAMES[:1], ["H4sIAAAA-secret-plan"], 3600)  # pylint: disable=protected-access
    assert "ValidationException" in str(raised.value) and "H4sI" not in str(raised.value)
    assert log.records[0]["parameters"]["Value"] == "<redacted>" and log.records[0]["error_code"] == "ValidationException"


def test_tools_are_checked_before_anything_is_sent():
    with pytest.raises(AwsIrError, match="memory_tools.linux.s3_uri 'https://x/avml' is not an S3 URI"):
        memory.validate_tools({"linux": {"s3_uri": "https://x/avml", "sha256": "a" * 64}})
    with pytest.raises(AwsIrError, match="memory_tools.windows.sha256 'abc' is not a SHA-256"):
        memory.validate_tools({"windows": {"s3_uri": "s3://t/winpmem.exe", "sha256": "abc"}})
    with pytest.raises(AwsIrError, match="memory_tools names no tool"):
        memory.validate_tools({"linux": None, "windows": None})
    assert memory.validate_tools({"linux": {"s3_uri": "s3://tools/a/avml", "sha256": "A" * 64}})["linux"] == {
        "s3_uri": "s3://tools/a/avml", "bucket": "tools", "key": "a/avml", "version_id": None, "sha256": "a" * 64}


def test_linux_command_passes_each_value_as_one_argument_and_the_program_on_stdin(tmp_path):
    # A stand-in python3 that reports what it received.
    fake = tmp_path / "python3"
    fake.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps({{'argv': sys.argv[1:], 'stdin': sys.stdin.read()}}))\n")
    fake.chmod(0o755)
    names = ["/secops/aws_ir/INC-1/i-1/memory-x/plan-00", "/odd name/$(touch x)/`id`;'q'"]
    lines, recorded = memory.linux_commands("eu-west-1", names, 8388608, "b" * 64)
    done = subprocess.run(["sh", "-c", "\n".join(lines)], capture_output=True, check=True, env={"PATH": f"{tmp_path}:/usr/bin:/bin"}, cwd=tmp_path)
    seen = json.loads(done.stdout)
    assert seen["argv"] == ["-", "--region=eu-west-1", "--part-size=8388608", "--tool-sha256=" + "b" * 64, "--tool-arg=/dev/stdout",
                            "--parameter=" + names[0], "--parameter=" + names[1]]
    assert seen["stdin"] == open(memory_host_linux.__file__, encoding="utf-8").read()
    assert not (tmp_path / "x").exists()
    # The record names the program by its hash instead of repeating it.
    assert recorded[:3] == lines[:3] and recorded[-1] == "IR_MEMORY_PROGRAM" and len(recorded) == 5
    assert re.match(r"^<memory_host_linux\.py: \d+ lines, sha256 [0-9a-f]{64}, from secops\.aws_ir ", recorded[3])


def test_windows_command_assigns_the_inputs_as_quoted_literals():
    lines, recorded = memory.windows_commands("us-east-1", ["/a/plan-00", "/it's/plan-01"], 16777216, "c" * 64)
    assert lines[:5] == ["$ir_region = 'us-east-1'", "$ir_parameters = @('/a/plan-00', '/it''s/plan-01')", "$ir_part_size = 16777216",
                         f"$ir_tool_sha256 = '{'c' * 64}'", "$ir_tool_args = @('-')"]
    assert "http" not in "\n".join(lines[:5]) and recorded[:5] == lines[:5] and len(recorded) == 6


def test_image_keys_say_the_format():
    assert memory.image_key("INC-1/volatile/", "i-1", "linux") == "INC-1/volatile/memory/i-1/memory.lime"
    assert memory.image_key("", "i-1", "windows") == "memory/i-1/memory.raw"


def test_memory_sizes_come_from_the_instance_type(fake_client):
    instances = [{"InstanceId": "i-1", "InstanceType": "t3.micro"}, {"InstanceId": "i-2", "InstanceType": "r6i.large"}]
    types = [{"InstanceType": "t3.micro", "MemoryInfo": {"SizeInMiB": 1024}}, {"InstanceType": "r6i.large", "MemoryInfo": {"SizeInMiB": 16384}}]
    ec2 = fake_client(describe_instances={"Reservations": [{"Instances": instances}]}, describe_instance_types={"InstanceTypes": types})
    assert memory.memory_sizes(ec2, ["i-1", "i-2"]) == {"i-1": 1024, "i-2": 16384}
    assert ec2.calls[-1][1]["InstanceTypes"] == ["r6i.large", "t3.micro"]


def test_a_resumed_acquisition_finds_its_parameters_and_open_upload(fake_client):
    import datetime  # pylint: disable=import-outside-toplevel
    sent = datetime.datetime(2026, 11, 29, 20, 15, 2)
    lines, _recorded = memory.linux_commands("us-east-1", NAMES, 8388608, "a" * 64)
    ssm = fake_client(list_commands={"Commands": [{"CommandId": COMMAND_ID, "RequestedDateTime": sent, "Parameters": {"commands": lines}}]})
    s3 = fake_client(list_multipart_uploads={"Uploads": [
        {"Key": "INC-1/volatile/memory/i-1/memory.lime", "UploadId": "older", "Initiated": sent - datetime.timedelta(days=1)},
        {"Key": "INC-1/volatile/memory/i-1/memory.lime", "UploadId": "mine", "Initiated": sent - datetime.timedelta(seconds=1)},
        {"Key": "INC-1/volatile/memory/i-1/memory.lime", "UploadId": "later", "Initiated": sent + datetime.timedelta(hours=1)},
        {"Key": "INC-1/volatile/memory/i-1/memory.lime.x", "UploadId": "other-key", "Initiated": sent}]})
    run = memory.MemoryRun(ActionLog("volatile_capture", False), {"ssm": ssm, "s3": s3}, "INC-1",
                           {"bucket": "evidence", "prefix": "INC-1/volatile"}, {"delivery": 600, "execution": 7200}, TOOLS)
    found = run.resume("i-1", "linux", COMMAND_ID)
    assert (found["parameters"], found["upload_id"], found["key"]) == (NAMES, "mine", "INC-1/volatile/memory/i-1/memory.lime")


def test_a_start_that_fails_deletes_what_it_put_and_aborts_the_upload(fake_client, aws_error):
    s3 = fake_client(create_multipart_upload={"UploadId": "up-9", "ResponseMetadata": {"RequestId": "r"}},
                     abort_multipart_upload={"ResponseMetadata": {"RequestId": "r"}})
    s3.generate_presigned_url = lambda operation, Params, ExpiresIn: f"https://evidence/{operation}/{Params.get('PartNumber', 0)}?X-Amz-Signature=s"
    created = []
    ssm = fake_client(put_parameter=lambda params: created.append(params["Name"]) or {"ResponseMetadata": {"RequestId": "r"}},
                      send_command=aws_error("InvalidInstanceId", "SendCommand"),
                      describe_parameters=lambda params: {"Parameters": [{"Name": n} for n in created]},
                      delete_parameters={"ResponseMetadata": {"RequestId": "r"}})
    ssm.meta = types.SimpleNamespace(region_name="us-east-1")
    log = ActionLog("volatile_capture", False)
    run = memory.MemoryRun(log, {"ssm": ssm, "s3": s3}, "INC-1", {"bucket": "evidence", "prefix": "INC-1/volatile"},
                           {"delivery": 600, "execution": 7200}, TOOLS)
    with pytest.raises(Exception, match="InvalidInstanceId"):
        run.start("i-1", "linux", 1024)
    actions = [r["action"] for r in log.records]
    assert actions[0] == "CreateMultipartUpload" and actions[-3:] == ["SendCommand", "DeleteParameters", "AbortMultipartUpload"]
    assert set(actions[1:-3]) == {"PutParameter"} and log.records[-2]["parameters"] == {"Names": created}
    put = [p for name, p in ssm.calls if name == "put_parameter"][0]
    assert (put["Type"], put["Tier"], json.loads(put["Policies"])[0]["Type"]) == ("SecureString", "Advanced", "Expiration")
