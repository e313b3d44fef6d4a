import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils import manifest as model

T0 = "2026-11-29T20:00:00.000Z"


def action(name, outcome="ok", instance_ids=("i-0123456789abcdef0",)):
    return {"time": T0, "stage": "containment", "service": "ec2", "action": name, "target": "i-0123456789abcdef0",
            "instance_ids": list(instance_ids), "parameters": {}, "before": None, "after": None, "outcome": outcome,
            "error_code": None, "request_id": "r"}


def containment(groups, status="contained", actions=()):
    return {"stage": "containment", "actions": list(actions), "instances": [
        {"instance_id": "i-0123456789abcdef0", "state_before": {"network_interfaces": [{"groups": groups}]}, "outcome": {"status": status, "notes": []}}]}


def run():
    return {"run_id": "r1", "playbook": "respond.yml", "started_at": T0, "ended_at": T0, "status": "complete", "failed_stage": None,
            "failure": None, "check_mode": False, "actor": {"arn": "arn:aws:iam::123456789012:user/a", "account": "123456789012"},
            "controller": {"host": "laptop"}}


def fresh():
    return model.new_manifest({"raw": "INC 1", "normalized": "INC-1"}, "us-east-1", "bucket", T0)


def test_key_is_ticket_folder_manifest_json():
    assert model.manifest_key("INC-123456") == "INC-123456/manifest.json"
    assert fresh()["key"] == "INC-1/manifest.json"


def test_first_recorded_state_before_survives_a_rerun_that_sees_the_quarantined_state():
    first = model.merge(fresh(), [containment(["sg-web"], actions=[action("ModifyNetworkInterfaceAttribute")])])
    second = model.merge(first, [containment(["sg-quarantine"])])
    assert second["instances"]["i-0123456789abcdef0"]["state_before"]["network_interfaces"][0]["groups"] == ["sg-web"]


def test_actions_are_appended_and_earlier_ones_never_rewritten():
    first = model.merge(fresh(), [containment(["sg-web"], actions=[action("CreateTags")])])
    second = model.merge(first, [containment(["sg-web"], actions=[action("ModifyInstanceAttribute")])])
    assert [a["action"] for a in second["actions"]] == ["CreateTags", "ModifyInstanceAttribute"]
    assert second["actions"][0] == first["actions"][0]
    assert [a["action"] for a in first["actions"]] == ["CreateTags"]  # merge does not touch its input


def test_rerun_with_same_results_says_nothing_new_but_a_status_change_does():
    first = model.merge(fresh(), [containment(["sg-web"])])
    assert not model.says_something_new(first, model.merge(first, [containment(["sg-quarantine"])]))
    changed = model.merge(first, [containment(["sg-web"], status="failed")])
    assert model.says_something_new(first, changed)
    assert changed["instances"]["i-0123456789abcdef0"]["outcome"]["containment"]["status"] == "failed"


def test_artifacts_are_added_once_per_uri_and_version():
    artifact = {"kind": "triage_stdout", "bucket": "b", "key": "k", "s3_uri": "s3://b/k", "version_id": "v1", "size_bytes": 3, "sha256": "0" * 64}
    capture = {"stage": "volatile_capture", "actions": [], "instances": [{"instance_id": "i-0123456789abcdef0", "artifacts": [artifact]}]}
    twice = model.merge(model.merge(fresh(), [capture]), [capture])
    assert twice["instances"]["i-0123456789abcdef0"]["artifacts"] == [artifact]


def test_snapshots_are_added_by_id_and_only_state_and_progress_move_on():
    pending = {"snapshot_id": "snap-1", "volume_id": "vol-1", "device_name": "/dev/xvda", "state": "pending", "progress": "10%", "created": True}
    stage = {"stage": "snapshot", "actions": [], "instances": [{"instance_id": "i-0123456789abcdef0", "snapshots": [pending]}]}
    first = model.merge(fresh(), [stage])
    done = dict(pending, state="completed", progress="100%", created=False)
    second = model.merge(first, [{"stage": "snapshot", "actions": [], "instances": [{"instance_id": "i-0123456789abcdef0", "snapshots": [done]}]}])
    [snapshot] = second["instances"]["i-0123456789abcdef0"]["snapshots"]
    assert (snapshot["state"], snapshot["progress"], "created" in snapshot) == ("completed", "100%", False)


def test_preflight_facts_are_kept_from_the_first_run():
    pre = {"stage": "preflight", "actions": [], "instances": [{"instance_id": "i-0123456789abcdef0", "state": "running"}]}
    later = {"stage": "preflight", "actions": [], "instances": [{"instance_id": "i-0123456789abcdef0", "state": "stopped"}]}
    merged = model.merge(model.merge(fresh(), [pre]), [later])
    assert merged["instances"]["i-0123456789abcdef0"]["preflight"] == {"state": "running"}


def test_a_complete_manifest_follows_the_schema_and_a_wrong_one_does_not():
    manifest = model.merge(fresh(), [containment(["sg-web"], actions=[action("CreateTags")])])
    manifest["runs"].append(run())
    model.validate(manifest)
    manifest["actions"][0]["outcome"] = "done"
    with pytest.raises(model.ManifestError, match="at actions/0/outcome: 'done' is not one of"):
        model.validate(manifest)


def test_serialisation_is_canonical():
    body = model.serialize({"b": 1, "a": "é"})
    assert body == '{\n  "a": "é",\n  "b": 1\n}\n'.encode("utf-8")
