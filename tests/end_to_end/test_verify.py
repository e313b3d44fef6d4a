"""verify.yml on real cases: intact, then tampered with one way at a time, each time naming the object.

Tampering happens through an independent boto3 client, as an intruder with S3 and EC2 rights
would do it. Artifacts are tampered with in a bucket without Object Lock (verification must not
need the lock to see it); a manifest version is replaced in the Object Lock bucket through a
GOVERNANCE bypass.
"""

import base64
import copy
import hashlib
import json

import pytest

from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import role_task
from tests.end_to_end.support import run_playbook

UNLOCKED = "case-evidence-unlocked"
VERIFY_TASK = "Verify the manifest's hash chain, every artifact and every snapshot"


def verify(lab, bucket, **pin):
    code, output = run_playbook(lab, "verify.yml", extra_vars=dict({"ticket": TICKET, "evidence_bucket": bucket}, **pin))
    return code, role_task(output, "verify", VERIFY_TASK)


def respond(lab, bucket, **extra):
    code, output = run_playbook(lab, "respond.yml", extra_vars=dict({"ticket": TICKET, "evidence_bucket": bucket}, **extra))
    assert code == 0, json.dumps(output["stats"])
    return role_task(output, "record", "Write the evidence manifest")


@pytest.fixture
def unlocked_case(lab, demo):
    """A response recorded in a versioned bucket without Object Lock: (scene, the manifest as written)."""
    s3 = aws(lab, "s3")
    s3.create_bucket(Bucket=UNLOCKED)
    s3.put_bucket_versioning(Bucket=UNLOCKED, VersioningConfiguration={"Status": "Enabled"})
    record = respond(lab, UNLOCKED)
    return demo, record["manifest"]


def the_artifact(manifest):
    [instance] = manifest["instances"].values()
    [artifact] = instance["artifacts"]
    return artifact


def test_an_intact_case_of_two_runs_passes_with_the_version_noted_at_its_end(lab, demo):
    respond(lab, demo["bucket"], capture_volatile=False)
    record = respond(lab, demo["bucket"])
    versions = manifest_versions(lab, demo["bucket"])
    assert len(versions) == 2 and versions[0]["manifest"]["previous_version"]["version_id"] == versions[1]["version_id"]
    code, result = verify(lab, demo["bucket"], manifest_version_id=record["version_id"], manifest_sha256=record["sha256"])
    assert code == 0, result
    assert result["intact"] is True and result["discrepancies"] == []
    # Without a signing key the verdict says what the chain cannot prove (docs/chain-of-custody.md).
    assert result["verdict"] == ("evidence of INC-123456 is intact: 2 manifest versions in an unbroken hash chain, "
                                 "1 artifact re-read (size and SHA-256 match), 2 snapshots present with their tags; "
                                 "the noted manifest_version_id and manifest_sha256 match; 0 versions written after it\n"
                                 "NOT authenticated: no manifest signing key (manifest_signing_key) is set: the hash chain proves the order "
                                 "of the manifest's versions, not who wrote them; anyone with s3:PutObject on the bucket can append a "
                                 "version that follows it")
    assert "; no noted manifest version or SHA-256 was given to check\n" in verify(lab, demo["bucket"])[1]["verdict"]
    assert [v["version_id"] for v in result["manifest_versions"]] == [v["version_id"] for v in versions]
    assert all(v["in_chain"] and v["object_lock"]["mode"] == "GOVERNANCE" for v in result["manifest_versions"])


def test_replaced_artifact_bytes_fail_naming_the_object(lab, unlocked_case):
    _scene, manifest = unlocked_case
    artifact = the_artifact(manifest)
    s3 = aws(lab, "s3")
    s3.delete_object(Bucket=UNLOCKED, Key=artifact["key"], VersionId=artifact["version_id"])
    forged = s3.put_object(Bucket=UNLOCKED, Key=artifact["key"], Body=b"nothing to see here\n")["VersionId"]
    code, result = verify(lab, UNLOCKED)
    assert code != 0 and result["intact"] is False
    assert result["discrepancies"] == [
        {"object": f"{artifact['s3_uri']} version {artifact['version_id']}", "problem": "is missing: that version no longer exists"},
        {"object": artifact["s3_uri"], "problem": f"was replaced: its current version {forged} is not the recorded one"},
        {"object": f"{artifact['s3_uri']} version {forged}", "problem": "is under the ticket's prefix but no manifest version records it"},
    ]
    assert result["msg"].startswith("evidence of INC-123456 is NOT intact: 3 discrepancies\n- " + artifact["s3_uri"])


def test_a_deleted_artifact_fails_naming_the_object(lab, unlocked_case):
    _scene, manifest = unlocked_case
    artifact = the_artifact(manifest)
    aws(lab, "s3").delete_object(Bucket=UNLOCKED, Key=artifact["key"])
    code, result = verify(lab, UNLOCKED)
    assert code != 0
    assert result["discrepancies"] == [{"object": artifact["s3_uri"], "problem": "was deleted: a delete marker hides the recorded version"}]


def test_a_deleted_snapshot_fails_naming_it(lab, unlocked_case):
    _scene, manifest = unlocked_case
    [instance] = manifest["instances"].values()
    snapshot = instance["snapshots"][0]
    aws(lab, "ec2").delete_snapshot(SnapshotId=snapshot["snapshot_id"])
    code, result = verify(lab, UNLOCKED)
    assert code != 0
    assert result["discrepancies"] == [{"object": snapshot["snapshot_id"], "problem": f"no longer exists (snapshot of {snapshot['volume_id']})"}]


def put_forged(s3, bucket, manifest):
    """Upload a manifest as evidence_manifest would (same serialisation, SHA-256 checksum): a careful forger."""
    body = (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
    digest = hashlib.sha256(body).digest()
    return s3.put_object(Bucket=bucket, Key=f"{TICKET}/manifest.json", Body=body, ChecksumAlgorithm="SHA256",
                         ChecksumSHA256=base64.b64encode(digest).decode())["VersionId"], digest.hex()


def test_a_new_version_that_rewrites_the_state_a_release_restores_fails_naming_that_version(lab, demo):
    record = respond(lab, demo["bucket"])
    instance_id = demo["compromised_instance_id"]
    forged = copy.deepcopy(record["manifest"])
    forged["instances"][instance_id]["state_before"]["network_interfaces"][0]["groups"] = ["sg-0attacker000000000"]
    forged["runs"].append(dict(forged["runs"][-1], run_id="forged-run"))
    forged["previous_version"] = {"version_id": record["version_id"], "sha256": record["sha256"]}
    s3 = aws(lab, "s3")
    version_id, _sha = put_forged(s3, demo["bucket"], forged)
    code, result = verify(lab, demo["bucket"])
    assert code != 0
    assert result["discrepancies"] == [{
        "object": f"s3://{demo['bucket']}/{TICKET}/manifest.json version {version_id}",
        "problem": f"instances.{instance_id}.state_before changed after it was recorded (against version {record['version_id']})"}]


def test_a_manifest_version_rewritten_through_a_governance_bypass_fails_naming_the_version_noted_at_the_end(lab, demo):
    record = respond(lab, demo["bucket"])
    s3 = aws(lab, "s3")
    forged = copy.deepcopy(record["manifest"])
    forged["actions"] = [a for a in forged["actions"] if a["action"] != "DetachInstances"]
    for instance_id, instance in forged["instances"].items():
        instance["action_indexes"] = [n for n, a in enumerate(forged["actions"]) if instance_id in a["instance_ids"]]
    s3.delete_object(Bucket=demo["bucket"], Key=f"{TICKET}/manifest.json", VersionId=record["version_id"], BypassGovernanceRetention=True)
    put_forged(s3, demo["bucket"], forged)
    code, result = verify(lab, demo["bucket"], manifest_version_id=record["version_id"], manifest_sha256=record["sha256"])
    assert code != 0
    assert result["discrepancies"] == [{
        "object": f"s3://{demo['bucket']}/{TICKET}/manifest.json version {record['version_id']}",
        "problem": f"the manifest version noted at the end of the response (SHA-256 {record['sha256']}) is not among the versions in S3"}]
