import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.capture.triage import ProfileError
from ansible_collections.secops.aws_ir.plugins.modules import ssm_volatile_capture as capture

TRIAGE = {"artifacts": [{"kind": "triage_stdout"}], "outcome": {"status": "captured", "command_id": "c-1", "detail": None}}


def test_a_memory_image_not_captured_shows_in_the_stage_status_and_warnings():
    memory = {"artifacts": [], "outcome": {"status": "hash_mismatch", "detail": "S3 holds 1 bytes"}}
    result = capture.combine("i-1", TRIAGE, memory)
    assert result["outcome"]["status"] == "memory_hash_mismatch"
    assert result["outcome"]["memory"]["status"] == "hash_mismatch" and result["outcome"]["command_id"] == "c-1"
    assert result["warnings"] == ["i-1: memory image hash_mismatch: S3 holds 1 bytes"]


def test_without_memory_the_status_is_the_triage_s():
    expected = {"instance_id": "i-1", "outcome": TRIAGE["outcome"], "artifacts": TRIAGE["artifacts"], "warnings": []}
    assert capture.combine("i-1", TRIAGE, None) == expected
    captured = {"artifacts": [{"kind": "memory_image"}], "outcome": {"status": "captured"}}
    both = capture.combine("i-1", TRIAGE, captured)
    assert both["outcome"]["status"] == "captured" and [a["kind"] for a in both["artifacts"]] == ["triage_stdout", "memory_image"]


def test_success_without_the_s3_object_is_evidence_upload_failed():
    invocation = {"Status": "Success", "StatusDetails": "Success", "ResponseCode": 0}
    assert capture.settle(invocation, [], "c-1", "AWS-RunShellScript")["status"] == "evidence_upload_failed"
    assert capture.settle(invocation, [{"kind": "triage_stdout"}], "c-1", "AWS-RunShellScript")["status"] == "captured"
    failed = capture.settle({"Status": "Failed", "StatusDetails": "Undeliverable", "ResponseCode": -1}, [], "c-1", "AWS-RunShellScript")
    assert failed["status"] == "undeliverable" and "ResponseCode -1" in failed["detail"]


def test_an_unreachable_instance_is_warned_about_once():
    unreachable = {"artifacts": [], "outcome": {"status": "connection_lost", "detail": "the SSM Agent stopped answering"}}
    result = capture.combine("i-1", unreachable, {"artifacts": [], "outcome": {"status": "connection_lost", "detail": "same"}})
    assert result["warnings"] == ["i-1: volatile capture connection_lost: the SSM Agent stopped answering"]
    assert result["outcome"]["status"] == "connection_lost"


def test_custom_commands_are_refused_unless_the_profile_is_custom():
    commands = {"linux": ["id"], "windows": None}
    with pytest.raises(ProfileError, match=r"^custom_commands are only run with triage_profile=custom \(triage_profile is standard\)$"):
        capture.validate_profile({"triage_profile": "standard", "custom_commands": commands})
    with pytest.raises(ProfileError, match="triage_profile is custom but custom_commands has no command"):
        capture.validate_profile({"triage_profile": "custom", "custom_commands": {"linux": [], "windows": None}})
    capture.validate_profile({"triage_profile": "custom", "custom_commands": commands})
    capture.validate_profile({"triage_profile": "standard", "custom_commands": None})


def test_a_stopped_instance_is_not_running_whatever_ssm_says():
    lost = {"ping_status": "ConnectionLost", "reachable": False, "likely_cause": "the SSM Agent stopped answering"}
    assert capture.unreachable_outcome(lost, "stopped") == {
        "status": "not_running", "state": "stopped", "ping_status": "ConnectionLost",
        "detail": "impossible: the instance is stopped, its memory is gone or frozen"}
    assert capture.unreachable_outcome(lost, "running")["status"] == "connection_lost"
    assert capture.unreachable_outcome(dict(lost, ping_status="unmanaged"), None)["status"] == "unmanaged"
