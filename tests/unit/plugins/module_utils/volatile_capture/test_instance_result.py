from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.instance_result import combine
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.instance_result import unreachable_outcome

TRIAGE = {"artifacts": [{"kind": "triage_stdout"}], "outcome": {"status": "captured", "command_id": "c-1", "detail": None}}


def test_a_memory_image_not_captured_shows_in_the_stage_status_and_warnings():
    memory = {"artifacts": [], "outcome": {"status": "hash_mismatch", "detail": "S3 holds 1 bytes"}}
    result = combine("i-1", TRIAGE, memory)
    assert result["outcome"]["status"] == "memory_hash_mismatch"
    assert result["outcome"]["memory"]["status"] == "hash_mismatch" and result["outcome"]["command_id"] == "c-1"
    assert result["warnings"] == ["i-1: memory image hash_mismatch: S3 holds 1 bytes"]


def test_without_memory_the_status_is_the_triage_s():
    expected = {"instance_id": "i-1", "outcome": TRIAGE["outcome"], "artifacts": TRIAGE["artifacts"], "warnings": []}
    assert combine("i-1", TRIAGE, None) == expected
    captured = {"artifacts": [{"kind": "memory_image"}], "outcome": {"status": "captured"}}
    both = combine("i-1", TRIAGE, captured)
    assert both["outcome"]["status"] == "captured" and [a["kind"] for a in both["artifacts"]] == ["triage_stdout", "memory_image"]


def test_an_unreachable_instance_is_warned_about_once():
    unreachable = {"artifacts": [], "outcome": {"status": "connection_lost", "detail": "the SSM Agent stopped answering"}}
    result = combine("i-1", unreachable, {"artifacts": [], "outcome": {"status": "connection_lost", "detail": "same"}})
    assert result["warnings"] == ["i-1: volatile capture connection_lost: the SSM Agent stopped answering"]
    assert result["outcome"]["status"] == "connection_lost"


def test_a_stopped_instance_is_not_running_whatever_ssm_says():
    lost = {"ping_status": "ConnectionLost", "reachable": False, "likely_cause": "the SSM Agent stopped answering"}
    assert unreachable_outcome(lost, "stopped") == {
        "status": "not_running", "state": "stopped", "ping_status": "ConnectionLost",
        "detail": "impossible: the instance is stopped, its memory is gone or frozen"}
    assert unreachable_outcome(lost, "running")["status"] == "connection_lost"
    assert unreachable_outcome(dict(lost, ping_status="unmanaged"), None)["status"] == "unmanaged"
