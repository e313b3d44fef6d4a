import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import manifest as model

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


def release(status="released"):
    return {"stage": "release", "actions": [],
            "instances": [{"instance_id": "i-0123456789abcdef0", "outcome": {"status": status, "notes": ["back in sg-web"]}}]}


def outcomes(manifest):
    return {stage: o["status"] for stage, o in manifest["instances"]["i-0123456789abcdef0"]["outcome"].items()}


def test_a_release_and_a_containment_after_it_each_end_the_other_so_the_record_never_says_both():
    contained = model.merge(fresh(), [containment(["sg-web"], status="isolated")])
    released = model.merge(contained, [release()])
    assert outcomes(released) == {"containment": "superseded", "release": "released"}
    # Contained again after the release: a fresh description of the new containment, not the first one's notes.
    again = model.merge(released, [{"stage": "containment", "actions": [], "instances": [
        {"instance_id": "i-0123456789abcdef0", "outcome": {"status": "isolated", "notes": ["isolated again"]}}]}])
    assert outcomes(again) == {"containment": "isolated", "release": "superseded"}
    assert again["instances"]["i-0123456789abcdef0"]["outcome"]["containment"]["notes"] == ["isolated again"]
    assert outcomes(model.merge(again, [release()])) == {"containment": "superseded", "release": "released"}
    # Each version follows the one before it: an outcome is replaced, never dropped.
    for older, newer in ((contained, released), (released, again)):
        assert model.follows(older, dict(newer, runs=newer["runs"] + [run()])) == []


def test_a_release_that_found_nothing_to_restore_does_not_replace_the_release_that_restored():
    released = model.merge(model.merge(fresh(), [containment(["sg-web"], status="isolated")]), [release()])
    again = model.merge(released, [release(status="unchanged")])
    assert outcomes(again) == {"containment": "superseded", "release": "released"} and not model.says_something_new(released, again)
    # Without an earlier release, it is recorded as it is.
    assert outcomes(model.merge(fresh(), [release(status="unchanged")])) == {"release": "unchanged"}


def test_a_release_that_did_not_release_leaves_the_containment_as_it_was():
    contained = model.merge(fresh(), [containment(["sg-web"], status="isolated")])
    failed = model.merge(contained, [release(status="failed")])
    assert failed["instances"]["i-0123456789abcdef0"]["outcome"]["containment"]["status"] == "isolated"


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


def snapshot_stage(snapshot, not_captured=()):
    return {"stage": "snapshot", "actions": [], "instances": [
        {"instance_id": "i-0123456789abcdef0", "snapshots": [snapshot], "not_captured": list(not_captured)}]}


COPY = {"snapshot_id": "snap-c1", "source_snapshot_id": "snap-1", "region": "eu-west-1", "state": "pending", "progress": "0%",
        "encrypted": True, "kms_key_id": "arn:aws:kms:eu-west-1:123456789012:key/k", "tags": {"IncidentTicket": "INC-1"},
        "shared_with": [], "created": True}
ORIGINAL = {"snapshot_id": "snap-1", "volume_id": "vol-1", "device_name": "/dev/xvda", "state": "completed", "created": True}


def test_copies_made_by_a_later_run_join_their_original_and_their_sharing_only_grows():
    first = model.merge(fresh(), [snapshot_stage(dict(ORIGINAL, copies=[]))])
    second = model.merge(first, [snapshot_stage(dict(ORIGINAL, created=False, copies=[COPY]))])
    done = dict(COPY, state="completed", progress="100%", shared_with=["111122223333"], created=False)
    third = model.merge(second, [snapshot_stage(dict(ORIGINAL, created=False, copies=[done]))])
    fourth = model.merge(third, [snapshot_stage(dict(ORIGINAL, created=False, copies=[dict(done, shared_with=[])]))])
    [snapshot] = fourth["instances"]["i-0123456789abcdef0"]["snapshots"]
    [copy] = snapshot["copies"]
    assert (copy["state"], copy["progress"], copy["shared_with"], "created" in copy) == ("completed", "100%", ["111122223333"], False)
    assert copy["kms_key_id"] == COPY["kms_key_id"] and copy["tags"] == COPY["tags"]


def test_a_forensic_copy_s_end_time_is_recorded_once_and_its_lock_as_last_seen():
    owned = dict(COPY, snapshot_id="snap-f1", owner_id="111122223333", copied_from="snap-c1", end_time=None)
    first = model.merge(fresh(), [snapshot_stage(dict(ORIGINAL, copies=[owned]))])
    lock = {"mode": "compliance", "state": "compliance", "expires_on": "2027-01-01T00:00:00+00:00"}
    done = dict(owned, state="completed", end_time="2026-12-03T09:00:00.000Z", lock=lock, created=False)
    second = model.merge(first, [snapshot_stage(dict(ORIGINAL, created=False, copies=[done]))])
    third = model.merge(second, [snapshot_stage(dict(ORIGINAL, created=False, copies=[dict(done, end_time="2026-12-04T09:00:00.000Z")]))])
    [copy] = third["instances"]["i-0123456789abcdef0"]["snapshots"][0]["copies"]
    assert (copy["state"], copy["end_time"], copy["lock"], copy["owner_id"]) == ("completed", "2026-12-03T09:00:00.000Z", lock, "111122223333")
    assert model.follows(first, dict(third, runs=[run()])) == []  # verify accepts it: the end time and the lock may move on


def test_planned_copies_are_not_recorded():
    merged = model.merge(fresh(), [snapshot_stage(dict(ORIGINAL, copies=[dict(COPY, snapshot_id="(planned)", state="planned")]))])
    assert merged["instances"]["i-0123456789abcdef0"]["snapshots"][0]["copies"] == []


def test_what_was_not_captured_is_recorded_once():
    disk = {"kind": "instance_store", "name": "ephemeral0", "volume_id": None, "device_name": None, "size_gb": 75, "disk_type": "ssd",
            "nvme_support": "required", "status": "not_captured", "reason": "instance-store volume"}
    twice = model.merge(model.merge(fresh(), [snapshot_stage(ORIGINAL, [disk])]), [snapshot_stage(ORIGINAL, [disk])])
    assert twice["instances"]["i-0123456789abcdef0"]["not_captured"] == [disk]
    twice["runs"].append(run())
    model.validate(twice)
    twice["instances"]["i-0123456789abcdef0"]["not_captured"][0]["reason"] = ""
    with pytest.raises(model.ManifestError, match="not_captured/0/reason"):
        model.validate(twice)


def test_a_copy_must_name_its_key_and_accounts():
    merged = model.merge(fresh(), [snapshot_stage(dict(ORIGINAL, copies=[dict(COPY, shared_with=["not-an-account"])]))])
    merged["runs"].append(run())
    with pytest.raises(model.ManifestError, match="copies/0/shared_with/0"):
        model.validate(merged)


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


def shared(name):
    return dict(action(name, instance_ids=()), target="vpc-1")


def test_each_instance_lists_the_positions_of_its_actions_and_shared_ones_belong_to_none():
    other = dict(action("ModifyInstanceAttribute", instance_ids=("i-0fedcba9876543210",)), target="i-0fedcba9876543210")
    first = model.merge(fresh(), [containment(["sg-web"], actions=[action("CreateTags"), shared("CreateSecurityGroup"), other])])
    second = model.merge(first, [containment(["sg-web"], actions=[action("ModifyNetworkInterfaceAttribute")])])
    assert second["instances"]["i-0123456789abcdef0"]["action_indexes"] == [0, 3]
    assert second["instances"]["i-0fedcba9876543210"]["action_indexes"] == [2]
    assert [second["actions"][n]["action"] for n in second["instances"]["i-0123456789abcdef0"]["action_indexes"]] == [
        "CreateTags", "ModifyNetworkInterfaceAttribute"]


def test_presigned_urls_and_secrets_in_any_stage_result_never_reach_the_manifest():
    url = "https://b.s3.amazonaws.com/mem.lime?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA%2F1&X-Amz-Signature=ff"
    leaky = action("SendCommand")
    leaky["parameters"] = {"Parameters": {"commands": [f"curl -T /tmp/mem '{url}'"]}}
    stage = {"stage": "volatile_capture", "actions": [leaky], "instances": [
        {"instance_id": "i-0123456789abcdef0", "outcome": {"status": "failed", "detail": f"upload to {url} failed", "SessionToken": "FwoGZX"}}]}
    merged = model.merge(fresh(), [stage])
    text = model.serialize(merged).decode()
    assert "X-Amz-Signature" not in text and "FwoGZX" not in text
    assert merged["actions"][0]["parameters"] == {"Parameters": {"commands": ["<redacted>"]}}
    assert merged["instances"]["i-0123456789abcdef0"]["outcome"]["volatile_capture"]["detail"] == "<redacted>"


def written(manifest, run_id="r1"):
    """manifest as evidence_manifest writes it: with one more run."""
    done = model.merge(manifest, [])
    done["runs"].append(dict(run(), run_id=run_id))
    return done


def test_a_version_written_by_merge_follows_the_one_before_it():
    first = written(model.merge(fresh(), [containment(["sg-web"], actions=[action("CreateTags")])]))
    pending = {"snapshot_id": "snap-1", "volume_id": "vol-1", "device_name": "/dev/xvda", "state": "pending", "progress": "10%"}
    stage = {"stage": "snapshot", "actions": [action("CreateSnapshots")], "instances": [{"instance_id": "i-0123456789abcdef0", "snapshots": [pending]}]}
    second = written(model.merge(first, [stage, containment(["sg-quarantine"], status="failed")]), run_id="r2")
    done = dict(pending, state="completed", progress="100%")
    stage = {"stage": "snapshot", "actions": [], "instances": [{"instance_id": "i-0123456789abcdef0", "snapshots": [done]}]}
    third = written(model.merge(second, [stage]), run_id="r3")
    assert model.follows(first, second) == [] and model.follows(second, third) == []


@pytest.mark.parametrize("tamper, problem", [
    (lambda m: m["actions"][0].update(outcome="ok", error_code=None), "rewrites actions[0] (CreateTags on i-0123456789abcdef0 at 2026-11-29T20:00:00.000Z)"),
    (lambda m: m["actions"].pop(0), "drops actions[0]"),
    (lambda m: m["instances"]["i-0123456789abcdef0"]["state_before"]["network_interfaces"][0].update(groups=["sg-attacker"]),
     "instances.i-0123456789abcdef0.state_before changed after it was recorded"),
    (lambda m: m["instances"]["i-0123456789abcdef0"]["artifacts"].clear(), "instances.i-0123456789abcdef0.artifacts: drops or rewrites s3://b/k (version v1)"),
    (lambda m: m["instances"]["i-0123456789abcdef0"]["snapshots"][0].update(volume_id="vol-other"), "instances.i-0123456789abcdef0.snapshots: rewrites snap-1"),
    (lambda m: m["instances"]["i-0123456789abcdef0"]["outcome"].pop("containment"), "instances.i-0123456789abcdef0.outcome: drops the containment outcome"),
    (lambda m: m["runs"].pop(), "adds no run"),
    (lambda m: m["ticket"].update(raw="INC 2"), "changes ticket from"),
    (lambda m: m["instances"].clear(), "drops instance i-0123456789abcdef0"),
])
def test_a_later_version_that_drops_or_rewrites_what_was_recorded_is_named(tamper, problem):
    artifact = {"kind": "triage_stdout", "bucket": "b", "key": "k", "s3_uri": "s3://b/k", "version_id": "v1", "size_bytes": 3, "sha256": "0" * 64}
    snapshot = {"snapshot_id": "snap-1", "volume_id": "vol-1", "device_name": "/dev/xvda", "state": "completed"}
    failed = dict(action("CreateTags", outcome="error"), error_code="UnauthorizedOperation")
    first = written(model.merge(fresh(), [containment(["sg-web"], actions=[failed]), {"stage": "snapshot", "actions": [], "instances": [
        {"instance_id": "i-0123456789abcdef0", "artifacts": [artifact], "snapshots": [snapshot]}]}]))
    second = written(first, run_id="r2")
    tamper(second)
    problems = model.follows(first, second)
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_copies_and_shares_of_a_snapshot_may_progress_and_grow_but_not_be_dropped():
    copy = {"snapshot_id": "snap-c1", "source_snapshot_id": "snap-1", "region": "eu-west-1", "state": "pending", "shared_with": []}
    snapshot = {"snapshot_id": "snap-1", "volume_id": "vol-1", "device_name": "/dev/xvda", "state": "completed",
                "shared_with": ["111122223333"], "copies": [copy]}
    older = written(model.merge(fresh(), []))
    older["instances"]["i-0123456789abcdef0"] = model.merge(fresh(), [containment(["sg-web"])])["instances"]["i-0123456789abcdef0"]
    older["instances"]["i-0123456789abcdef0"].update(snapshots=[snapshot], not_captured=[{"kind": "instance_store", "name": "ephemeral0"}])
    grown = written(older, run_id="r2")
    grown_snapshot = grown["instances"]["i-0123456789abcdef0"]["snapshots"][0]
    grown_snapshot.update(shared_with=["111122223333", "444455556666"], copies=[dict(copy, state="completed", shared_with=["444455556666"])])
    assert model.follows(older, grown) == []
    shrunk = written(older, run_id="r3")
    shrunk_snapshot = shrunk["instances"]["i-0123456789abcdef0"]["snapshots"][0]
    shrunk_snapshot.update(shared_with=[], copies=[])
    shrunk["instances"]["i-0123456789abcdef0"]["not_captured"] = []
    assert model.follows(older, shrunk) == [
        "instances.i-0123456789abcdef0.snapshots: snap-1 drops shared_with '111122223333'",
        "instances.i-0123456789abcdef0.snapshots: copies of snap-1: drops snap-c1",
        "instances.i-0123456789abcdef0.not_captured: drops {'kind': 'instance_store', 'name': 'ephemeral0'}",
    ]


def record_copy(version_id, copy_version="c1", name="manifest.json"):
    """A forensic copy of a version of the ticket's record, as evidence_replicate returns it among its manifest_copies."""
    return {"kind": "forensic_copy", "bucket": "forensic", "key": f"INC-1/{name}", "s3_uri": f"s3://forensic/INC-1/{name}",
            "version_id": copy_version, "size_bytes": 10, "sha256": "a" * 64, "source_s3_uri": f"s3://bucket/INC-1/{name}",
            "source_version_id": version_id}


def test_the_forensic_copies_of_earlier_versions_are_recorded_once_and_kept_by_every_later_version():
    replication = {"stage": "replication", "actions": [], "instances": [], "manifest_copies": [record_copy("v1")]}
    first = written(model.merge(fresh(), [containment(["sg-web"])]))
    second = written(model.merge(first, [replication, containment(["sg-web"], status="failed")]), run_id="r2")
    assert second["manifest_copies"] == [record_copy("v1")]
    model.validate(second)
    replication["manifest_copies"].append(record_copy("v2", "c2"))
    third = written(model.merge(second, [replication]), run_id="r3")
    assert third["manifest_copies"] == [record_copy("v1"), record_copy("v2", "c2")]
    assert model.follows(second, third) == []
    third["manifest_copies"].pop(0)
    assert model.follows(second, third) == ["manifest_copies: drops or rewrites the copy s3://forensic/INC-1/manifest.json (version c1)"]


def test_recording_the_copies_of_earlier_versions_alone_writes_no_new_version():
    # Else every run would write a version only to record the copy of the one before, whose own copy the next run records, without end.
    first = written(model.merge(fresh(), [containment(["sg-web"])]))
    replication = {"stage": "replication", "actions": [], "instances": [], "manifest_copies": [record_copy("v1")]}
    assert not model.says_something_new(first, model.merge(first, [replication]))
