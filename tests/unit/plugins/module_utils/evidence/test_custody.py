"""Chain-of-custody checks, on fake S3 and EC2 answers."""

import datetime
import hashlib
import io
import json

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import custody
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import manifest as model
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import checksum_sha256

URI = "s3://evidence/INC-1/manifest.json"
T0 = "2026-11-29T20:00:00.000Z"
RUN = {"run_id": "r", "playbook": "respond.yml", "started_at": T0, "ended_at": T0, "status": "complete", "failed_stage": None,
       "failure": None, "check_mode": False, "actor": {"arn": "arn:aws:iam::123456789012:user/a", "account": "123456789012"},
       "controller": {"host": "laptop"}}


def sha(data):
    return hashlib.sha256(data).hexdigest()


def manifest(previous=None, runs=1):
    m = model.new_manifest({"raw": "INC-1", "normalized": "INC-1"}, "us-east-1", "evidence", T0)
    m["runs"] = [dict(RUN, run_id=f"r{n}") for n in range(runs)]
    m["previous_version"] = previous
    return m


def version(version_id, body, is_latest=False, checksum=True, minute=0):
    """A manifest version as read_manifest_versions describes it."""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    return {"version_id": version_id, "is_latest": is_latest, "last_modified": f"2026-11-29T20:{minute:02d}:00+00:00",
            "sha256": sha(body), "stored_checksum": checksum_sha256(sha(body)) if checksum else None, "manifest": parsed, "object_lock": None}


def history():
    """Three honest versions, oldest first."""
    v1 = model.serialize(manifest())
    v2 = model.serialize(manifest({"version_id": "v1", "sha256": sha(v1)}, runs=2))
    v3 = model.serialize(manifest({"version_id": "v2", "sha256": sha(v2)}, runs=3))
    return [version("v3", v3, is_latest=True, minute=3), version("v2", v2, minute=2), version("v1", v1, minute=1)]


def test_an_honest_history_is_one_chain_that_keeps_everything():
    versions = history()
    chain, findings = custody.walk_chain(versions, URI)
    assert [v["version_id"] for v in chain] == ["v3", "v2", "v1"] and findings == []
    assert custody.check_history(chain, URI) == []
    assert [f for v in versions for f in custody.check_version(v, URI)] == []


def test_a_deleted_middle_version_breaks_the_chain_and_leaves_the_older_one_outside_it():
    v3, _v2, v1 = history()
    chain, findings = custody.walk_chain([v3, v1], URI)
    assert [v["version_id"] for v in chain] == ["v3"]
    assert findings == [
        {"object": f"{URI} version v3", "problem": "names previous version v2, which no longer exists"},
        {"object": f"{URI} version v1", "problem": "is not in the hash chain that ends at the newest version"},
    ]


def test_a_version_replaced_under_the_same_pointer_is_named_by_its_successor():
    v3, v2, v1 = history()
    forged = version("v2", model.serialize(dict(v2["manifest"], region="eu-west-1")), minute=2)
    _chain, findings = custody.walk_chain([v3, forged, v1], URI)
    assert findings == [{"object": f"{URI} version v3",
                         "problem": f"names previous version v2 with SHA-256 {v2['sha256']}, but that version's bytes hash to {forged['sha256']}"}]


def test_a_version_written_by_other_means_or_not_json_or_elsewhere_is_named():
    body = model.serialize(manifest())
    assert custody.check_version(version("v9", body, checksum=False), URI) == [
        {"object": f"{URI} version v9", "problem": "carries no SHA-256 checksum: evidence_manifest did not write it"}]
    assert custody.check_version(version("v9", b"not json"), URI)[0]["problem"] == "is not a JSON object"
    moved = model.serialize(dict(manifest(), key="INC-2/manifest.json"))
    assert custody.check_version(version("v9", moved), URI)[0]["problem"] == "says it belongs at s3://evidence/INC-2/manifest.json"
    invalid = model.serialize(dict(manifest(), runs=[]))
    assert "does not follow schema version 1 at runs" in custody.check_version(version("v9", invalid), URI)[0]["problem"]


def test_a_noted_version_must_still_be_there_with_its_bytes():
    versions = history()
    assert custody.check_pin(versions, URI, "v2", versions[1]["sha256"]) == []
    assert custody.check_pin(versions, URI, None, None) == []
    [found] = custody.check_pin(versions, URI, "v2", "0" * 64)
    # The version is there: the noted SHA-256 differs (a typo), which is not a missing version.
    assert found["object"] == f"{URI} version v2"
    assert found["problem"].startswith(f"the SHA-256 of this manifest version in S3 is {versions[1]['sha256']}; it differs from the manifest_sha256 noted")
    [missing] = custody.check_pin(versions, URI, "v9", versions[1]["sha256"])
    assert "is not among the versions in S3" in missing["problem"]


class Body(io.BytesIO):
    def iter_chunks(self, size):
        while chunk := self.read(size):
            yield chunk


ARTIFACT = {"kind": "triage_stdout", "bucket": "evidence", "key": "INC-1/out", "s3_uri": "s3://evidence/INC-1/out",
            "version_id": "a1", "size_bytes": 5, "sha256": sha(b"hello")}


def s3(fake_client, aws_error, objects, listing):
    """A fake S3 client: objects {version_id: bytes}; listing: (version_id, is_latest, delete_marker) tuples."""
    def get_object(params):
        if params["VersionId"] not in objects:
            return aws_error("NoSuchVersion")
        return {"Body": Body(objects[params["VersionId"]]), "VersionId": params["VersionId"]}
    when = datetime.datetime(2026, 11, 29, tzinfo=datetime.timezone.utc)
    entries = [({"Key": "INC-1/out", "VersionId": v, "IsLatest": latest, "LastModified": when}, marker) for v, latest, marker in listing]
    return fake_client(get_object=get_object, list_object_versions={
        "Versions": [entry for entry, marker in entries if not marker],
        "DeleteMarkers": [entry for entry, marker in entries if marker]})


def test_an_intact_artifact_has_no_finding(fake_client, aws_error):
    assert custody.check_artifact(s3(fake_client, aws_error, {"a1": b"hello"}, [("a1", True, False)]), ARTIFACT) == []


@pytest.mark.parametrize("objects, listing, expected", [
    ({"a1": b"HELLO"}, [("a1", True, False)],
     [("s3://evidence/INC-1/out version a1", f"changed: now 5 bytes with SHA-256 {sha(b'HELLO')}, recorded 5 bytes with SHA-256 {sha(b'hello')}")]),
    ({"a1": b"hello", "a2": b"forged"}, [("a2", True, False), ("a1", False, False)],
     [("s3://evidence/INC-1/out", "was replaced: its current version a2 is not the recorded one")]),
    ({"a2": b"forged"}, [("a2", True, False)],
     [("s3://evidence/INC-1/out version a1", "is missing: that version no longer exists"),
      ("s3://evidence/INC-1/out", "was replaced: its current version a2 is not the recorded one")]),
    ({"a1": b"hello"}, [("d1", True, True), ("a1", False, False)],
     [("s3://evidence/INC-1/out", "was deleted: a delete marker hides the recorded version")]),
])
def test_an_artifact_changed_replaced_missing_or_hidden_is_named(fake_client, aws_error, objects, listing, expected):
    findings = custody.check_artifact(s3(fake_client, aws_error, objects, listing), ARTIFACT)
    assert [(f["object"], f["problem"]) for f in findings] == expected


SNAPSHOT = {"snapshot_id": "snap-1", "volume_id": "vol-1", "device_name": "/dev/xvda", "state": "completed",
            "tags": {"IncidentTicket": "INC-1", "Evidence": "Yes"}}
COPY = {"snapshot_id": "snap-c1", "source_snapshot_id": "snap-1", "region": "eu-west-1", "state": "completed", "kms_key_id": "k",
        "tags": {"IncidentTicket": "INC-1"}, "shared_with": []}


def recorded(snapshot_id, volume_id, region="us-east-1", tags=None):
    return {"snapshot_id": snapshot_id, "region": region, "volume_id": volume_id, "tags": dict(SNAPSHOT["tags"] if tags is None else tags)}


def test_snapshots_are_looked_up_by_id_filter_per_region_and_their_tags_compared(fake_client):
    now = {"SnapshotId": "snap-1", "VolumeId": "vol-1", "State": "completed",
           "Tags": [{"Key": "IncidentTicket", "Value": "INC-2"}, {"Key": "Other", "Value": "x"}]}
    clients = {"us-east-1": fake_client(describe_snapshots={"Snapshots": [now]}),
               "eu-west-1": fake_client(describe_snapshots={"Snapshots": []})}
    snapshots = [recorded("snap-1", "vol-1"), recorded("snap-2", "vol-2"), recorded("(planned)", "vol-3"),
                 recorded("snap-c1", None, region="eu-west-1", tags=COPY["tags"])]
    findings = custody.check_snapshots(lambda region, _account_id: clients[region], snapshots)
    assert [(f["object"], f["problem"]) for f in findings] == [
        ("snap-1", "lost its tag Evidence=Yes"),
        ("snap-1", "tag IncidentTicket is now 'INC-2', recorded 'INC-1'"),
        ("snap-2", "no longer exists (snapshot of vol-2)"),
        ("snap-c1", "no longer exists (copy in eu-west-1)"),
    ]
    assert clients["us-east-1"].calls == [("describe_snapshots", {"Filters": [{"Name": "snapshot-id", "Values": ["snap-1", "snap-2"]}]})]
    assert clients["eu-west-1"].calls == [("describe_snapshots", {"Filters": [{"Name": "snapshot-id", "Values": ["snap-c1"]}]})]


def test_every_artifact_snapshot_and_copy_any_version_recorded_is_checked_once():
    older = manifest()
    older["instances"]["i-0123456789abcdef0"] = {"artifacts": [ARTIFACT], "snapshots": [dict(SNAPSHOT, copies=[COPY])]}
    newer = manifest(runs=2)  # a forged newest version that dropped them
    versions = [version("v2", model.serialize(newer), is_latest=True, minute=2), version("v1", model.serialize(older), minute=1),
                version("v0", b"not json")]
    artifacts, snapshots = custody.recorded_evidence(versions)
    assert artifacts == [ARTIFACT]
    assert snapshots == [recorded("snap-1", "vol-1"), recorded("snap-c1", None, region="eu-west-1", tags=COPY["tags"])]
