from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture import run_command
from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog

# SSM command ids are UUIDs (36 characters): botocore refuses a shorter CommandId.
COMMAND_ID = "0b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
NEXT_COMMAND_ID = "1c2b3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"


def invocation(instance_id, status, details=None, command_id=COMMAND_ID):
    return {"CommandId": command_id, "InstanceId": instance_id, "Status": status, "StatusDetails": details or status}


def test_missing_invocation_right_after_send_is_pending_not_failure(fake_client, clock):
    client = fake_client(list_command_invocations=[
        {"CommandInvocations": []},
        {"CommandInvocations": [invocation("i-1", "InProgress")]},
        {"CommandInvocations": [invocation("i-1", "Success")]},
    ])
    latest = run_command.wait_for(client, {"i-1": COMMAND_ID}, wait_timeout=60, sleep=clock.sleep, clock=clock)
    assert latest["i-1"]["Status"] == "Success"
    assert clock.sleeps == [0.5, 0.75]


def test_wait_that_runs_out_returns_the_running_invocation_and_never_sends(fake_client, clock):
    client = fake_client(list_command_invocations={"CommandInvocations": [invocation("i-1", "InProgress")]})
    latest = run_command.wait_for(client, {"i-1": COMMAND_ID}, wait_timeout=10, sleep=clock.sleep, clock=clock)
    assert not run_command.is_terminal(latest["i-1"])
    assert set(client.names()) == {"list_command_invocations"}
    assert sum(clock.sleeps) <= 10


def test_one_listing_per_command_per_poll_covers_all_its_instances(fake_client, clock):
    client = fake_client(list_command_invocations={"CommandInvocations": [invocation("i-1", "Success"), invocation("i-2", "Failed")]})
    latest = run_command.wait_for(client, {"i-1": COMMAND_ID, "i-2": COMMAND_ID}, wait_timeout=10, sleep=None, clock=clock)
    assert len(client.calls) == 1
    assert client.calls[0][1] == {"CommandId": COMMAND_ID, "Details": True}
    assert run_command.outcome_of(latest["i-2"]) == "failed"


def test_each_terminal_status_has_its_own_outcome():
    # Status / StatusDetails pairs as SSM documents them for command invocations.
    cases = {
        ("Success", "Success"): "success",
        ("Failed", "Failed"): "failed",
        ("Cancelled", "Cancelled"): "cancelled",
        ("TimedOut", "DeliveryTimedOut"): "delivery_timed_out",
        ("TimedOut", "ExecutionTimedOut"): "execution_timed_out",
        ("Failed", "Undeliverable"): "undeliverable",
        ("Failed", "Terminated"): "terminated",
        ("Failed", "InvalidPlatform"): "invalid_platform",
        ("Failed", "AccessDenied"): "access_denied",
    }
    for (status, details), outcome in cases.items():
        assert run_command.outcome_of({"Status": status, "StatusDetails": details}) == outcome
    assert not run_command.is_terminal({"Status": "Delayed"})


def test_previous_invocation_with_same_comment_is_reused_unless_it_failed(fake_client):
    comment = run_command.comment_for("INC-1", "triage")

    def listed(command_id, status, when, text=comment):
        return {"CommandId": command_id, "Comment": text, "Status": status, "RequestedDateTime": when}
    invocations = {"i-1": [listed("old", "Success", 1), listed("new", "InProgress", 2), listed("other", "Success", 3, "aws-ir INC-2 triage")],
                   # The command of i-2 may be Failed overall; only this instance's own invocation counts.
                   "i-2": [listed("shared", "Success", 1)],
                   "i-3": [listed("f", "Failed", 1), listed("t", "TimedOut", 2), listed("c", "Cancelled", 3)]}
    client = fake_client(list_command_invocations=lambda params: {"CommandInvocations": invocations[params["InstanceId"]]})
    assert run_command.find_previous(client, ["i-1", "i-2", "i-3"], comment) == {"i-1": "new", "i-2": "shared"}


def test_send_batches_fifty_instances_per_command(fake_client):
    answers = iter([COMMAND_ID, NEXT_COMMAND_ID])
    client = fake_client(send_command=lambda params: {"Command": {"CommandId": next(answers)}, "ResponseMetadata": {"RequestId": "r"}})
    ids = [f"i-{n}" for n in range(51)]
    sent = run_command.send(ActionLog("volatile_capture", False), client, ids, "AWS-RunShellScript", ["uptime"], "aws-ir INC-1 triage",
                            {"bucket": "evidence", "prefix": "INC-1/volatile"}, {"delivery": 600, "execution": 900})
    assert [len(p["InstanceIds"]) for _n, p in client.calls] == [50, 1]
    assert (sent["i-0"], sent["i-50"]) == (COMMAND_ID, NEXT_COMMAND_ID)
    params = client.calls[0][1]
    assert params["Parameters"] == {"commands": ["uptime"], "executionTimeout": ["900"]}
    assert (params["TimeoutSeconds"], params["OutputS3KeyPrefix"], params["Comment"]) == (600, "INC-1/volatile", "aws-ir INC-1 triage")
    # One failing instance must not stop the others (MaxErrors 0 would).
    assert (params["MaxErrors"], params["MaxConcurrency"]) == ("100%", "50")


def test_send_records_a_long_program_by_its_note_not_its_text(fake_client):
    client = fake_client(send_command={"Command": {"CommandId": COMMAND_ID}, "ResponseMetadata": {"RequestId": "r"}})
    log = ActionLog("volatile_capture", False)
    run_command.send(log, client, ["i-1"], "AWS-RunShellScript", ["exec python3 - <<'X'", "print(1)", "X"], "aws-ir INC-1 memory",
                     {"bucket": "evidence", "prefix": "p"}, {"delivery": 600, "execution": 900}, recorded_commands=["exec python3 - <<'X'", "<note>", "X"])
    assert client.calls[0][1]["Parameters"]["commands"] == ["exec python3 - <<'X'", "print(1)", "X"]
    assert log.records[0]["parameters"]["Parameters"]["commands"] == ["exec python3 - <<'X'", "<note>", "X"]


def test_each_way_a_command_ends_is_explained_with_its_codes():
    ended = {"Status": "TimedOut", "StatusDetails": "ExecutionTimedOut", "ResponseCode": 137}
    text = run_command.describe_end(ended)
    assert "executionTimeout" in text and "ResponseCode 137" in text and "StatusDetails ExecutionTimedOut" in text
    assert "timeout_seconds" in run_command.describe_end({"Status": "TimedOut", "StatusDetails": "DeliveryTimedOut", "ResponseCode": -1})
    assert "MaxErrors" in run_command.describe_end({"Status": "Cancelled", "StatusDetails": "Terminated", "ResponseCode": -1})
    # ListCommandInvocations carries the code on the plugin, not on the invocation.
    listed = {"Status": "TimedOut", "StatusDetails": "ExecutionTimedOut", "CommandPlugins": [{"ResponseCode": -1}]}
    assert "ResponseCode -1," in run_command.describe_end(listed)


def test_comment_fits_the_100_characters_ssm_allows():
    assert len(run_command.comment_for("X" * 200, "triage")) == 100
