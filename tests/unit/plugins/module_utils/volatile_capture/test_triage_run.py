import datetime

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.triage_run import TriageRun
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.triage_run import settle

LINUX, WINDOWS = "AWS-RunShellScript", "AWS-RunPowerShellScript"
OUTPUT = {"bucket": "evidence", "prefix": "INC-1/volatile"}
REQUESTED = datetime.datetime(2026, 11, 29, 20, 15, tzinfo=datetime.timezone.utc)


def options(**changed):
    given = {"profile": "standard", "custom": {}, "force": False, "timeouts": {"delivery": 600, "execution": 900},
             "wait": False, "wait_timeout": 1200}
    return dict(given, **changed)


def earlier(params):
    """ListCommandInvocations by instance: i-1 already ran this ticket's triage, i-2 nothing."""
    if params["InstanceId"] != "i-1":
        return {"CommandInvocations": []}
    return {"CommandInvocations": [{"CommandId": "c-old", "InstanceId": "i-1", "Comment": "aws-ir INC-1 triage", "Status": "Success",
                                    "RequestedDateTime": REQUESTED}]}


def make_run(fake_client, check_mode=False, **changed):
    ssm = fake_client(list_command_invocations=earlier,
                      send_command={"Command": {"CommandId": "c-new"}, "ResponseMetadata": {"RequestId": "r"}})
    log = ActionLog("volatile_capture", check_mode)
    return TriageRun(log, {"ssm": ssm, "s3": fake_client()}, "INC-1", OUTPUT, options(**changed)), log, ssm


def test_an_earlier_triage_of_the_ticket_is_reused_and_only_the_other_instance_gets_a_command(fake_client):
    run, log, ssm = make_run(fake_client)
    results = run.run({"i-1": LINUX, "i-2": LINUX})
    assert {i: r["outcome"]["command_id"] for i, r in results.items()} == {"i-1": "c-old", "i-2": "c-new"}
    assert {r["outcome"]["status"] for r in results.values()} == {"sent"}
    sent = [params for name, params in ssm.calls if name == "send_command"]
    assert [p["InstanceIds"] for p in sent] == [["i-2"]] and sent[0]["Comment"] == "aws-ir INC-1 triage"
    assert [r["action"] for r in log.records] == ["SendCommand"]


def test_force_sends_again_without_looking_for_earlier_commands(fake_client):
    run, _log, ssm = make_run(fake_client, force=True)
    run.run({"i-1": LINUX})
    assert ssm.names() == ["send_command"]


def test_check_mode_plans_the_command_and_sends_nothing(fake_client):
    run, log, ssm = make_run(fake_client, check_mode=True)
    results = run.run({"i-2": LINUX})
    assert results["i-2"]["outcome"] == {"status": "planned", "command_id": "(planned)", "document_name": LINUX, "ping_status": "Online"}
    assert "send_command" not in ssm.names() and [(r["action"], r["outcome"]) for r in log.records] == [("SendCommand", "planned")]


def test_a_platform_without_custom_commands_is_skipped_and_a_changed_list_is_a_new_collection(fake_client):
    run, _log, ssm = make_run(fake_client, profile="custom", custom={"linux": ["id"]})
    results = run.run({"i-1": LINUX, "i-3": WINDOWS})
    assert results["i-3"]["outcome"]["status"] == "skipped" and results["i-3"]["outcome"]["detail"] == "custom_commands has no commands for windows"
    # i-1's earlier command was the standard triage: the custom one is collected anew, under its own comment.
    assert results["i-1"]["outcome"]["command_id"] == "c-new"
    sent = [params for name, params in ssm.calls if name == "send_command"]
    assert sent[0]["Comment"].startswith("aws-ir INC-1 triage custom-")


def test_success_without_the_s3_object_is_evidence_upload_failed():
    invocation = {"Status": "Success", "StatusDetails": "Success", "ResponseCode": 0}
    assert settle(invocation, [], "c-1", LINUX)["status"] == "evidence_upload_failed"
    assert settle(invocation, [{"kind": "triage_stdout"}], "c-1", LINUX)["status"] == "captured"
    failed = settle({"Status": "Failed", "StatusDetails": "Undeliverable", "ResponseCode": -1}, [], "c-1", LINUX)
    assert failed["status"] == "undeliverable" and "ResponseCode -1" in failed["detail"]
    running = settle({"Status": "InProgress", "StatusDetails": "InProgress"}, [], "c-1", LINUX)
    assert running["status"] == "still_running"
