"""The copy and share steps of forensic_snapshot with states the lab's moto never shows (pending, copy limits)."""
from types import SimpleNamespace

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.modules import forensic_snapshot as module

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/k"
DESTINATION = {"region": "eu-west-1", "source_region": "us-east-1", "account_id": "111122223333", "kms_key_arn": KEY_ARN}


def original(snapshot_id, state):
    return {"snapshot_id": snapshot_id, "state": state, "tags": {"IncidentTicket": "INC-1"}, "created": True}


def a_run(client, check_mode=False):
    return SimpleNamespace(destination=DESTINATION, copy_client=client, log=ActionLog("snapshot", check_mode), ticket="INC-1",
                           module=SimpleNamespace(check_mode=check_mode))


def test_a_pending_original_is_not_copied_yet_and_the_responder_is_told(fake_client):
    client = fake_client()
    result = {"instance_id": "i-1", "snapshots": [original("snap-1", "pending")], "warnings": []}
    module.copy_originals(a_run(client), result, {"limited": False, "found": {}, "forensic": {}})
    assert client.calls == [] and result["snapshots"][0]["copies"] == []
    assert result["warnings"] == ["snap-1 is still pending: it is copied by a run after it completes"]


def test_too_many_copies_in_progress_defers_the_rest_to_a_later_run(fake_client, aws_error):
    client = fake_client(copy_snapshot=[{"SnapshotId": "snap-c1"}, aws_error("ResourceLimitExceeded")])
    result = {"instance_id": "i-1", "snapshots": [original(f"snap-{n}", "completed") for n in (1, 2, 3)], "warnings": []}
    state = {"limited": False, "found": {}, "forensic": {}}
    module.copy_originals(a_run(client), result, state)
    assert [name for name, _params in client.calls] == ["copy_snapshot", "copy_snapshot"]  # none after the refusal
    assert [[c["snapshot_id"] for c in s["copies"]] for s in result["snapshots"]] == [["snap-c1"], [], []]
    assert state["limited"] and "snap-2 and the snapshots after it are copied by a later run" in result["warnings"][0]


def test_only_completed_copies_are_shared_a_pending_one_waits(fake_client):
    client = fake_client(modify_snapshot_attribute={})
    done = {"snapshot_id": "snap-c1", "state": "completed", "shared_with": []}
    pending = {"snapshot_id": "snap-c2", "state": "pending", "shared_with": []}
    result = {"instance_id": "i-1", "snapshots": [dict(original("snap-1", "completed"), copies=[done]),
                                                  dict(original("snap-2", "completed"), copies=[pending])], "warnings": []}
    module.share_copies(a_run(client), result)
    assert client.calls == [("modify_snapshot_attribute", {"SnapshotId": "snap-c1", "Attribute": "createVolumePermission",
                                                           "OperationType": "add", "UserIds": ["111122223333"]})]
    assert result["warnings"] == ["copy snap-c2 is still pending: it is shared with 111122223333 by a later run"]


def test_an_existing_copy_is_reported_with_its_accounts_and_not_copied_again(fake_client):
    client = fake_client(describe_snapshot_attribute={"CreateVolumePermissions": [{"UserId": "111122223333"}]})
    found = {"snap-1": {"SnapshotId": "snap-c1", "State": "completed", "KmsKeyId": KEY_ARN, "Encrypted": True,
                        "Tags": [{"Key": "SourceSnapshotId", "Value": "snap-1"}]}}
    result = {"instance_id": "i-1", "snapshots": [original("snap-1", "completed")], "warnings": []}
    module.copy_originals(a_run(client), result, {"limited": False, "found": found, "forensic": {}})
    [copy] = result["snapshots"][0]["copies"]
    assert (copy["snapshot_id"], copy["created"], copy["shared_with"]) == ("snap-c1", False, ["111122223333"])
    assert [name for name, _params in client.calls] == ["describe_snapshot_attribute"]


def test_the_diff_shows_what_this_run_added():
    results = [{"instance_id": "i-1", "snapshots": [
        {"volume_id": "vol-1", "snapshot_id": "snap-1", "created": False, "copies": [{"snapshot_id": "snap-c1", "created": True}]},
        {"volume_id": "vol-2", "snapshot_id": "(planned)", "created": True, "copies": []}]}]
    assert module.diff(results) == {
        "before": {"i-1": {"vol-1": {"snapshot_id": "snap-1", "copies": []}, "vol-2": {"snapshot_id": None, "copies": []}}},
        "after": {"i-1": {"vol-1": {"snapshot_id": "snap-1", "copies": ["snap-c1"]}, "vol-2": {"snapshot_id": "(planned)", "copies": []}}},
    }


def test_an_original_the_forensic_account_has_a_copy_of_gets_no_new_shared_copy(fake_client):
    # After remove_intermediate the shared copy is gone; the forensic account's own copy is what counts.
    client = fake_client()
    result = {"instance_id": "i-1", "snapshots": [original("snap-1", "completed")], "warnings": []}
    module.copy_originals(a_run(client), result, {"limited": False, "found": {}, "forensic": {"snap-1": {"SnapshotId": "snap-f1"}}})
    assert client.calls == [] and result["snapshots"][0]["copies"] == [] and result["warnings"] == []
