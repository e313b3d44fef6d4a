"""Invocation lifecycle: absent, Pending, InProgress, then a terminal status (forced by lab:command-status)."""
import time

import pytest
from botocore.exceptions import ClientError

SHELL = {"commands": ["ir_step() { :; }", "ir_step procs ps auxww"]}


def _send(aws, instance_ids, **kwargs):
    return aws("ssm").send_command(InstanceIds=instance_ids, DocumentName="AWS-RunShellScript", Parameters=SHELL, **kwargs)["Command"]["CommandId"]


def _observe(ssm, command_id, instance_id, timeout=10.0):
    """The distinct states seen while polling, ending with the final GetCommandInvocation answer."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            answer = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
            state = answer["Status"]
        except ClientError as error:
            answer, state = None, error.response["Error"]["Code"]
        if not seen or seen[-1] != state:
            seen.append(state)
        if answer and answer["Status"] not in ("Pending", "InProgress"):
            return seen, answer
        time.sleep(0.02)
    raise AssertionError(f"no terminal status after {timeout} s: {seen}")


def test_states_in_order(lab, aws, launch):
    # Windows wide enough to be seen by a 20 ms poll even on a loaded machine.
    lab.configure(ssm={"invocation_absent_seconds": 1.0, "pending_seconds": 1.0, "in_progress_seconds": 1.0})
    instance_id = launch()[0]
    ssm = aws("ssm")
    command_id = _send(aws, [instance_id])
    assert ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] == "Pending"
    seen, answer = _observe(ssm, command_id, instance_id)
    assert seen == ["InvocationDoesNotExist", "Pending", "InProgress", "Success"]
    assert (answer["StatusDetails"], answer["ResponseCode"], answer["PluginName"]) == ("Success", 0, "aws:runShellScript")
    assert answer["ExecutionStartDateTime"].endswith("Z") and answer["ExecutionElapsedTime"].startswith("PT")
    command = ssm.list_commands(CommandId=command_id)["Commands"][0]
    assert (command["Status"], command["CompletedCount"], command["ErrorCount"]) == ("Success", 1, 0)


def test_waiter_works(lab, aws, launch):
    # The built-in waiter fails on InvocationDoesNotExist; with no absent window the invocation exists once SendCommand answers.
    lab.configure(ssm={"invocation_absent_seconds": 0.0})
    instance_id = launch()[0]
    command_id = _send(aws, [instance_id])
    aws("ssm").get_waiter("command_executed").wait(CommandId=command_id, InstanceId=instance_id, WaiterConfig={"Delay": 1})
    assert aws("ssm").get_command_invocation(CommandId=command_id, InstanceId=instance_id)["Status"] == "Success"


@pytest.mark.parametrize("forced, status, details, code", [
    ("Failed", "Failed", "Failed", 1),
    ("Cancelled", "Cancelled", "Cancelled", 137),
    ("DeliveryTimedOut", "TimedOut", "DeliveryTimedOut", -1),
    ("ExecutionTimedOut", "TimedOut", "ExecutionTimedOut", 137),
    ("Undeliverable", "Failed", "Undeliverable", -1),
    ("Terminated", "Cancelled", "Terminated", -1),
])
def test_forced_terminal_status(aws, launch, forced, status, details, code):
    instance_id = launch(tags={"lab:command-status": forced})[0]
    command_id = _send(aws, [instance_id])
    seen, answer = _observe(aws("ssm"), command_id, instance_id)
    assert (answer["Status"], answer["StatusDetails"], answer["ResponseCode"]) == (status, details, code)
    assert ("InProgress" in seen) == (forced not in ("DeliveryTimedOut", "Undeliverable", "Terminated"))
    if forced == "Failed":
        assert answer["StandardErrorContent"].endswith("failed to run commands: exit status 1")
    command = aws("ssm").list_commands(CommandId=command_id)["Commands"][0]
    assert command["Status"] == status and command["CompletedCount"] == 1


def test_command_status_follows_its_invocations(aws, launch):
    good, bad = launch()[0], launch(tags={"lab:command-status": "Failed"})[0]
    ssm = aws("ssm")
    command_id = _send(aws, [good, bad])
    _observe(ssm, command_id, good)
    _observe(ssm, command_id, bad)
    command = ssm.list_commands(CommandId=command_id)["Commands"][0]
    assert (command["Status"], command["StatusDetails"], command["CompletedCount"], command["ErrorCount"]) == ("Failed", "Failed", 2, 1)
    invocations = ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"]
    assert {item["InstanceId"]: item["Status"] for item in invocations} == {good: "Success", bad: "Failed"}


def test_cancel_command(lab, aws, launch):
    lab.configure(ssm={"invocation_absent_seconds": 0.0, "pending_seconds": 5.0})
    instance_id = launch()[0]
    ssm = aws("ssm")
    command_id = _send(aws, [instance_id])
    ssm.cancel_command(CommandId=command_id)
    answer = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
    assert (answer["Status"], answer["ResponseCode"]) == ("Cancelled", -1)
    assert ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] == "Cancelled"


def test_unknown_ids(aws, launch):
    instance_id = launch()[0]
    ssm = aws("ssm")
    with pytest.raises(ClientError, match="InvalidCommandId"):
        ssm.get_command_invocation(CommandId="00000000-0000-0000-0000-000000000000", InstanceId=instance_id)
    command_id = _send(aws, [instance_id])
    with pytest.raises(ClientError, match="InvocationDoesNotExist"):
        ssm.get_command_invocation(CommandId=command_id, InstanceId="i-0123456789abcdef0")
    with pytest.raises(ClientError, match="InvalidCommandId"):
        ssm.list_command_invocations(CommandId="00000000-0000-0000-0000-000000000000")


def test_list_filters_and_pages(lab, aws, launch):
    lab.configure(ssm={"pending_seconds": 60})  # all three stay Pending while they are listed
    instance_id = launch()[0]
    ssm = aws("ssm")
    ids = [_send(aws, [instance_id]) for _attempt in range(3)]
    listed = ssm.list_commands(MaxResults=2)
    assert [item["CommandId"] for item in listed["Commands"]] == ids[::-1][:2] and "NextToken" in listed
    assert len(ssm.list_commands(NextToken=listed["NextToken"])["Commands"]) == 1
    assert len(ssm.list_commands(Filters=[{"key": "Status", "value": "Pending"}])["Commands"]) == 3
    assert ssm.list_commands(Filters=[{"key": "DocumentName", "value": "AWS-RunPowerShellScript"}])["Commands"] == []
    assert len(ssm.list_commands(InstanceId=instance_id, Filters=[{"key": "InvokedAfter", "value": "2000-01-01T00:00:00Z"}])["Commands"]) == 3
