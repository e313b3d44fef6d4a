"""What a command prints: the script model, output limits, and the S3 objects the agent would upload."""
import base64
import binascii
import datetime
import time

import pytest

from tests.lab.conftest import error_code

BUCKET = "aws-ir-evidence-123456789012-us-east-1"
IR_FUNCTIONS = ["ir_step() { n=$1; t=$2; shift 2; echo \"##IR## step=$n\"; \"$t\" \"$@\"; }", "ir_fallback() { :; }"]


def _run(aws, instance_id, commands, document="AWS-RunShellScript", **kwargs):
    ssm = aws("ssm")
    command_id = ssm.send_command(InstanceIds=[instance_id], DocumentName=document, Parameters={"commands": commands}, **kwargs)["Command"]["CommandId"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            answer = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
            if answer["Status"] not in ("Pending", "InProgress"):
                return command_id, answer
        except ssm.exceptions.InvocationDoesNotExist:
            pass
        time.sleep(0.02)
    raise AssertionError("command did not finish")


@pytest.fixture
def bucket(aws):
    aws("s3").create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    return BUCKET


def _object(aws, key):
    return aws("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()


def _names_missing(stderr, *tools):
    """stderr has one line per tool the shell could not find, naming it, in the order the script ran them (not the shell's wording)."""
    lines = stderr.splitlines()
    return len(lines) == len(tools) and all(tool in line for tool, line in zip(tools, lines))


def _keys(aws):
    return sorted(item["Key"] for item in aws("s3").list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_steps_missing_tool_and_fallback(aws, launch):
    instance_id = launch()[0]
    commands = IR_FUNCTIONS + ["ir_step sockets netstat -tanp", "ir_fallback sockets ss -tanp", "ir_step procs ps auxww",
                               "ir_fallback procs top -b -n1", "ir_step memory cat /proc/meminfo", "ifconfig"]
    _command_id, answer = _run(aws, instance_id, commands)
    out = answer["StandardOutputContent"]
    assert answer["ResponseCode"] == 0 and answer["Status"] == "Success"
    assert "##IR## step=sockets tool=netstat start=" in out and "##IR## end=sockets rc=127" in out
    assert "##IR## step=sockets tool=ss start=" in out and "##IR## end=sockets rc=0" in out
    assert "203.0.113.66:4444" in out and "MemTotal:" in out
    assert "tool=top" not in out  # the fallback runs only after a missing tool
    assert _names_missing(answer["StandardErrorContent"], "netstat", "ifconfig"), answer["StandardErrorContent"]


def test_windows_output(aws, launch):
    instance_id = launch(windows=True)[0]
    commands = ["function ir_step { param($n, $t) }", "ir_step tcp Get-NetTCPConnection", "ir_step procs Get-CimInstance Win32_Process",
                "ir_step users query user", "ir_step nope Get-Nothing"]
    _command_id, answer = _run(aws, instance_id, commands, document="AWS-RunPowerShellScript")
    out = answer["StandardOutputContent"]
    assert answer["Status"] == "Success" and "##IR## end=tcp rc=0" in out and "powershell.exe -nop -w hidden -enc" in out
    assert "svc_backup" in out and "##IR## end=nope rc=127" in out
    assert "Get-Nothing : The term 'Get-Nothing' is not recognized" in answer["StandardErrorContent"]


@pytest.mark.parametrize("prefix, expected", [("INC-1/volatile/", "INC-1/volatile/"), ("INC-1/volatile", "INC-1/volatile/"), ("", "")])
def test_s3_layout_and_content(aws, launch, bucket, prefix, expected):
    instance_id = launch(tags={"lab:stdout-bytes": "30000"})[0]
    command_id, answer = _run(aws, instance_id, IR_FUNCTIONS + ["ir_step procs ps auxww", "netstat -an"],
                              OutputS3BucketName=bucket, OutputS3KeyPrefix=prefix)
    base = f"{expected}{command_id}/{instance_id}/awsrunShellScript/0.awsrunShellScript/"
    assert _keys(aws) == [base + "stderr", base + "stdout"]
    stdout = _object(aws, base + "stdout")
    assert len(stdout) >= 30000 and answer["StandardOutputContent"] == stdout[:24000]
    stderr = _object(aws, base + "stderr")
    assert _names_missing(stderr, "netstat") and stderr.endswith("\n"), stderr
    assert answer["StandardOutputUrl"] == f"https://s3.us-east-1.amazonaws.com/{bucket}/{base}stdout"


def test_no_stderr_object_when_stderr_is_empty(aws, launch, bucket):
    instance_id = launch()[0]
    command_id, _answer = _run(aws, instance_id, ["date"], OutputS3BucketName=bucket)
    assert _keys(aws) == [f"{command_id}/{instance_id}/awsrunShellScript/0.awsrunShellScript/stdout"]


def test_output_limits(aws, launch):
    instance_id = launch(tags={"lab:stdout-bytes": "30000"})[0]
    command_id, answer = _run(aws, instance_id, ["ps"] + ["nosuchtool"] * 400)
    assert len(answer["StandardOutputContent"]) == 24000 and len(answer["StandardErrorContent"]) == 8000
    details = aws("ssm").list_command_invocations(CommandId=command_id, Details=True)["CommandInvocations"][0]
    output = details["CommandPlugins"][0]["Output"]
    assert len(output) <= 2500 and "---Output truncated---" in output and "----------ERROR-------" in output


def test_upload_denied_still_succeeds(aws, launch, bucket):
    instance_id = launch(tags={"lab:s3-upload": "denied"})[0]
    _command_id, answer = _run(aws, instance_id, ["date"], OutputS3BucketName=bucket)
    assert answer["Status"] == "Success" and answer["StandardOutputUrl"].startswith("https://")
    assert _keys(aws) == []


def test_missing_bucket_writes_nothing(aws, launch):
    instance_id = launch()[0]
    _command_id, answer = _run(aws, instance_id, ["date"], OutputS3BucketName="no-such-bucket-here")
    assert answer["Status"] == "Success"
    assert "no-such-bucket-here" not in [item["Name"] for item in aws("s3").list_buckets()["Buckets"]]


def test_internal_writes_are_not_logged(lab, aws, launch, bucket):
    instance_id = launch()[0]
    lab.clear_requests()
    _run(aws, instance_id, ["date"], OutputS3BucketName=bucket)
    assert set(lab.counts()) == {"ssm"}


def test_ir_script_steps_printf_and_the_missing_tools_tag(aws, launch):
    instance_id = launch(tags={"lab:missing-tools": "lsof, ss"})[0]
    commands = IR_FUNCTIONS + ["ir_script() { :; }", "printf '%s\\n' '##IR## ticket=INC 1 profile=custom'",
                               "ir_script custom_1 'ps' 'ps auxww | grep -v grep'", "ir_script custom_2 'nope' 'nope --x'",
                               "ir_step sockets ss -tanp", "ir_step files lsof -nP", "ir_step memory cat /proc/meminfo"]
    _command_id, answer = _run(aws, instance_id, commands)
    out = answer["StandardOutputContent"]
    assert out.startswith("##IR## ticket=INC 1 profile=custom\n")
    assert "##IR## step=custom_1 tool=ps start=" in out and "##IR## end=custom_1 rc=0" in out and "203.0.113.66" in out
    assert "##IR## end=custom_2 rc=127" in out
    # Tagged missing: the tools the table has are gone, and the steps after them still run.
    assert "##IR## end=sockets rc=127" in out and "##IR## end=files rc=127" in out and "##IR## end=memory rc=0" in out
    assert _names_missing(answer["StandardErrorContent"], "nope", "ss", "lsof"), answer["StandardErrorContent"]


def test_output_gets_the_bucket_default_retention_and_a_checksum_and_cannot_be_deleted_without_a_bypass(aws, launch, bucket):
    # S3 User Guide, "Configuring Object Lock": the default retention applies to every new object version;
    # AWS SDKs send a CRC32 checksum with every upload by default, which S3 keeps.
    s3 = aws("s3")
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}})
    instance_id = launch()[0]
    command_id, _answer = _run(aws, instance_id, ["echo hello"], OutputS3BucketName=bucket)
    key = f"{command_id}/{instance_id}/awsrunShellScript/0.awsrunShellScript/stdout"
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert 29 <= (head["ObjectLockRetainUntilDate"] - datetime.datetime.now(datetime.timezone.utc)).days <= 30
    assert head["ChecksumCRC32"] == base64.b64encode(binascii.crc32(b"hello\n").to_bytes(4, "big")).decode()
    version = head["VersionId"]
    assert error_code(lambda: s3.delete_object(Bucket=bucket, Key=key, VersionId=version)) == "AccessDenied"
