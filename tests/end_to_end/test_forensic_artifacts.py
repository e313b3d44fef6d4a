"""Artifacts copied into the forensic account's evidence bucket by its role, read back there with boto3."""

import datetime
import hashlib
import json

import pytest

from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import first_failure
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_module
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import task_result
from tests.end_to_end.test_forensic_account import FORENSIC_ACCOUNT
from tests.end_to_end.test_forensic_account import ROLE_ARN
from tests.end_to_end.test_forensic_account import forensic
from tests.end_to_end.test_forensic_account import manifest_of

BUCKET = "aws-ir-evidence-111122223333-us-east-1"
LOCK_HEADERS = {"x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date"}


@pytest.fixture
def forensic_bucket(lab):
    """The forensic account's bucket, versioned with Object Lock (which turns versioning on)."""
    forensic(lab, "s3").create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    lab.clear_requests()
    return BUCKET


def copy_to(bucket=BUCKET):
    # The snapshots' share key and forensic copies are left out: only the artifacts' side is exercised here.
    return {"account_id": FORENSIC_ACCOUNT, "role_arn": ROLE_ARN, "evidence_bucket": bucket}


def test_every_artifact_and_manifest_version_is_in_the_forensic_bucket_with_its_sha256_and_a_rerun_copies_none_twice(lab, demo, forensic_bucket):
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to(), "capture_volatile": True})
    assert code == 0, task_result(output, "Fail the run when a stage failed")["msg"]
    # Each copy asks for its retention in the CopyObject request itself: locked from the moment it exists.
    copy_requests = [r for r in lab.requests() if r["action"] == "CopyObject" and r["account"] == FORENSIC_ACCOUNT]
    assert copy_requests and all(LOCK_HEADERS <= set(r["amz_headers"]) for r in copy_requests)
    assert [r for r in lab.requests() if r["action"] == "PutObjectRetention"] == []
    instance_id = demo["compromised_instance_id"]
    artifacts = manifest_of(lab, demo)["instances"][instance_id]["artifacts"]
    sources = [a for a in artifacts if a["kind"] != "forensic_copy"]
    copies = {a["source_s3_uri"]: a for a in artifacts if a["kind"] == "forensic_copy"}
    assert sources and sorted(copies) == sorted(a["s3_uri"] for a in sources)
    s3 = forensic(lab, "s3")
    for source in sources:
        copy = copies[source["s3_uri"]]
        body = s3.get_object(Bucket=forensic_bucket, Key=copy["key"], VersionId=copy["version_id"])
        assert hashlib.sha256(body["Body"].read()).hexdigest() == source["sha256"] == copy["sha256"]
        assert body["Metadata"] == {"source-s3-uri": source["s3_uri"], "source-version-id": source["version_id"]}
        assert body["ObjectLockMode"] == "GOVERNANCE" and copy["bucket"] == forensic_bucket
    # Every version of the manifest (and reports) in the compromised bucket has its copy, byte for byte.
    source_versions = aws(lab, "s3").list_object_versions(Bucket=demo["bucket"], Prefix=f"{TICKET}/manifest.json")["Versions"]
    copied_versions = s3.list_object_versions(Bucket=forensic_bucket, Prefix=f"{TICKET}/manifest.json")["Versions"]
    assert len(copied_versions) == len(source_versions) >= 1
    code, output = run_playbook(lab, "verify.yml", extra_vars={"ticket": TICKET, "forensic_role_arn": ROLE_ARN})
    assert code == 0, json.dumps(output["stats"])
    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to(), "capture_volatile": True})
    assert code == 0, json.dumps(output["stats"])
    # The re-run changes nothing, so it writes no manifest version either: nothing is copied twice.
    assert [r["action"] for r in mutating(lab.requests()) if r["account"] == FORENSIC_ACCOUNT] == []


@pytest.mark.parametrize("setup, message", [
    (lambda lab: None, f"copy_to.evidence_bucket '{BUCKET}' does not exist in account {FORENSIC_ACCOUNT}"),
    (lambda lab: forensic(lab, "s3").create_bucket(Bucket=BUCKET), f"copy_to.evidence_bucket '{BUCKET}' has no versioning"),
    (lambda lab: aws(lab, "s3").create_bucket(Bucket=BUCKET), f"is not owned by the forensic account {FORENSIC_ACCOUNT}"),
])
def test_a_missing_unversioned_or_foreign_forensic_bucket_stops_the_run_before_the_first_change(lab, demo, setup, message):
    setup(lab)
    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to()})
    assert code != 0
    assert [r["action"] for r in mutating(lab.requests())] == []
    assert message in first_failure(output)[1]


def test_a_large_object_is_copied_in_parts_side_by_side_and_checked(lab, demo, forensic_bucket):
    body = bytes(range(256)) * (12 * 4096)  # 12 MiB: three parts of 5 MiB
    key = f"{TICKET}/volatile/memory/{demo['compromised_instance_id']}/memory.lime"
    version = aws(lab, "s3").put_object(Bucket=demo["bucket"], Key=key, Body=body)["VersionId"]
    source = {"kind": "memory_image", "bucket": demo["bucket"], "key": key, "s3_uri": f"s3://{demo['bucket']}/{key}", "version_id": version,
              "size_bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    lab.clear_requests()
    result = run_module(lab, "evidence_replicate", {"ticket": TICKET, "bucket": demo["bucket"], "copy_to": copy_to(),
                                                    "instances": [{"instance_id": demo["compromised_instance_id"], "artifacts": [source]}],
                                                    "multipart_threshold_mib": 5})
    assert not result.get("failed"), result.get("msg")
    [copy] = result["instances"][0]["artifacts"]
    parts = [r for r in lab.requests() if r["action"] == "UploadPartCopy"]
    assert len(parts) == 3 and all(r["account"] == FORENSIC_ACCOUNT for r in parts)
    assert copy["sha256"] == source["sha256"] and copy["size_bytes"] == len(body)
    fetched = forensic(lab, "s3").get_object(Bucket=forensic_bucket, Key=key, VersionId=copy["version_id"])["Body"].read()
    assert hashlib.sha256(fetched).hexdigest() == source["sha256"]
    # The retention is asked for by CreateMultipartUpload itself (S3 API Reference: x-amz-object-lock-* headers), so the
    # completed copy is locked from the moment it exists; no PutObjectRetention afterwards.
    [action] = result["actions"]
    assert action["action"] == "CopyObject" and action["parameters"]["ObjectLockMode"] == "GOVERNANCE"
    [create] = [r for r in lab.requests() if r["action"] == "CreateMultipartUpload"]
    assert LOCK_HEADERS <= set(create["amz_headers"])
    assert [r for r in lab.requests() if r["action"] == "PutObjectRetention"] == []
    retention = forensic(lab, "s3").get_object_retention(Bucket=forensic_bucket, Key=key, VersionId=copy["version_id"])["Retention"]
    assert retention["Mode"] == "GOVERNANCE"
    assert retention["RetainUntilDate"] == datetime.datetime.fromisoformat(action["parameters"]["ObjectLockRetainUntilDate"].replace("Z", "+00:00"))


VERIFY_TASK = "secops.aws_ir.verify : Verify the manifest's hash chain, every artifact and every snapshot"


def verify_result(lab, **extra_vars):
    code, output = run_playbook(lab, "verify.yml", extra_vars={"ticket": TICKET, "forensic_role_arn": ROLE_ARN, **extra_vars})
    return code, task_result(output, VERIFY_TASK)


def test_the_next_manifest_version_records_the_forensic_copies_of_the_earlier_ones_and_verify_checks_each(lab, demo, forensic_bucket):
    # A first run stopped at the snapshot stage writes manifest version 1, whose copy is made after it, unrecorded.
    lab.configure(faults=[{"service": "ec2", "action": "CreateSnapshots", "code": "UnauthorizedOperation", "status": 403, "count": 1}])
    code, _output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to(), "capture_volatile": True})
    assert code != 0
    # No version records a forensic copy yet: verify is told where the forensic bucket is.
    code, verified = verify_result(lab, forensic_evidence_bucket=forensic_bucket)
    assert code == 0, verified["msg"]
    [first] = verified["manifest_versions"]
    assert first["forensic_copy"]["status"] == "found, not yet recorded"
    assert f"- manifest version {first['version_id']}: forensic copy s3://{forensic_bucket}/{TICKET}/manifest.json version " in verified["verdict"]
    # The re-run completes the response; its version (2) records the copy of version 1: where, which version, its SHA-256.
    code, _output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to(), "capture_volatile": True})
    assert code == 0
    source = aws(lab, "s3").get_object(Bucket=demo["bucket"], Key=f"{TICKET}/manifest.json", VersionId=first["version_id"])["Body"].read()
    [recorded] = [c for c in manifest_of(lab, demo)["manifest_copies"] if c["source_s3_uri"].endswith("/manifest.json")]
    assert (recorded["source_s3_uri"], recorded["source_version_id"]) == (f"s3://{demo['bucket']}/{TICKET}/manifest.json", first["version_id"])
    assert recorded["sha256"] == hashlib.sha256(source).hexdigest() == first["sha256"]
    copied = forensic(lab, "s3").get_object(Bucket=forensic_bucket, Key=recorded["key"], VersionId=recorded["version_id"])
    assert hashlib.sha256(copied["Body"].read()).hexdigest() == recorded["sha256"] and copied["ObjectLockMode"] == "GOVERNANCE"
    assert recorded["bucket"] == forensic_bucket
    code, verified = verify_result(lab)
    assert code == 0, verified["msg"]
    statuses = {v["version_id"]: v["forensic_copy"] for v in verified["manifest_versions"]}
    assert statuses[first["version_id"]] == {"status": "recorded", "s3_uri": recorded["s3_uri"], "version_id": recorded["version_id"]}
    [second] = [v for v in statuses if v != first["version_id"]]
    assert statuses[second]["status"] == "found, not yet recorded"
    # Someone in the forensic account able to bypass the governance retention deletes both copies: the recorded one is a
    # discrepancy; the newest version's, which no version records, is reported as not copied yet.
    s3 = forensic(lab, "s3")
    for version_id in (recorded["version_id"], statuses[second]["version_id"]):
        s3.delete_object(Bucket=forensic_bucket, Key=recorded["key"], VersionId=version_id, BypassGovernanceRetention=True)
    code, verified = verify_result(lab)
    assert code != 0
    assert f"- {recorded['s3_uri']} version {recorded['version_id']}: is missing: that version no longer exists" in verified["msg"]
    assert f"- manifest version {second}: no forensic copy yet" in verified["msg"]
    assert "1 discrepancy" in verified["msg"]
