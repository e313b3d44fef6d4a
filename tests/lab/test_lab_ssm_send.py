"""SendCommand validation and the Command it returns, as AWS documents them."""
import datetime
import json
import uuid

import pytest
from botocore.exceptions import ClientError

SHELL = {"commands": ["date"]}


def _code(call):
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


def test_command_structure(aws, launch):
    instance_id = launch()[0]
    command = aws("ssm").send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript", Comment="triage INC-1",
                                      Parameters={"commands": ["date"], "executionTimeout": ["600"]}, TimeoutSeconds=60,
                                      OutputS3BucketName="evidence-bucket", OutputS3KeyPrefix="INC-1/")["Command"]
    uuid.UUID(command["CommandId"])
    assert command["Status"] == "Pending" and command["StatusDetails"] == "Pending"
    assert command["InstanceIds"] == [instance_id] and command["TargetCount"] == 1 and command["CompletedCount"] == 0
    assert command["DocumentName"] == "AWS-RunShellScript" and command["Comment"] == "triage INC-1"
    assert command["Parameters"] == {"commands": ["date"], "executionTimeout": ["600"]}
    assert (command["OutputS3BucketName"], command["OutputS3KeyPrefix"], command["TimeoutSeconds"]) == ("evidence-bucket", "INC-1/", 60)
    assert (command["MaxConcurrency"], command["MaxErrors"]) == ("50", "0")
    assert datetime.datetime.now(datetime.timezone.utc) - command["RequestedDateTime"] < datetime.timedelta(seconds=30)


def test_more_than_50_instances(aws, launch):
    ids = launch(count=51)
    assert _code(lambda: aws("ssm").send_command(InstanceIds=ids, DocumentName="AWS-RunShellScript", Parameters=SHELL)) == "ValidationException"


def test_targets_are_not_emulated(aws):
    assert _code(lambda: aws("ssm").send_command(Targets=[{"Key": "tag:IncidentTicket", "Values": ["INC-1"]}],
                                                 DocumentName="AWS-RunShellScript", Parameters=SHELL)) == "ValidationException"


def test_comment_longer_than_100(aws, launch):
    instance_id = launch()[0]
    assert _code(lambda: aws("ssm").send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript", Parameters=SHELL,
                                                 Comment="x" * 101)) == "ValidationException"


def test_unknown_document(aws, launch):
    instance_id = launch()[0]
    assert _code(lambda: aws("ssm").send_command(InstanceIds=[instance_id], DocumentName="No-Such-Doc", Parameters=SHELL)) == "InvalidDocument"


def test_document_created_in_moto(aws, launch):
    instance_id = launch()[0]
    content = {"schemaVersion": "2.2", "description": "triage", "parameters": {"commands": {"type": "StringList"}},
               "mainSteps": [{"action": "aws:runShellScript", "name": "triage", "inputs": {"runCommand": "{{ commands }}"}}]}
    aws("ssm").create_document(Content=json.dumps(content), Name="IR-Triage", DocumentType="Command", DocumentFormat="JSON")
    command = aws("ssm").send_command(InstanceIds=[instance_id], DocumentName="IR-Triage", Parameters=SHELL)["Command"]
    assert command["DocumentName"] == "IR-Triage"


def test_missing_commands_parameter(aws, launch):
    instance_id = launch()[0]
    assert _code(lambda: aws("ssm").send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript", Parameters={})) == "InvalidParameters"


def test_platform_mismatch(aws, launch):
    linux, windows = launch()[0], launch(windows=True)[0]
    ssm = aws("ssm")
    assert _code(lambda: ssm.send_command(InstanceIds=[windows], DocumentName="AWS-RunShellScript", Parameters=SHELL)) == "UnsupportedPlatformType"
    assert _code(lambda: ssm.send_command(InstanceIds=[linux], DocumentName="AWS-RunPowerShellScript", Parameters=SHELL)) == "UnsupportedPlatformType"


@pytest.mark.parametrize("state", ["ConnectionLost", "Inactive", "unmanaged", "stopped", "terminated", "nonexistent"])
def test_unreachable_instance_fails_the_whole_call(aws, launch, state):
    healthy = launch()[0]
    if state == "nonexistent":
        target = "i-0123456789abcdef0"
    else:
        target = launch(tags={"lab:ssm": state} if state[0].isupper() or state == "unmanaged" else None)[0]
    if state == "stopped":
        aws("ec2").stop_instances(InstanceIds=[target])
    if state == "terminated":
        aws("ec2").terminate_instances(InstanceIds=[target])
    ssm = aws("ssm")
    assert _code(lambda: ssm.send_command(InstanceIds=[healthy, target], DocumentName="AWS-RunShellScript", Parameters=SHELL)) == "InvalidInstanceId"
    assert ssm.list_commands()["Commands"] == []
