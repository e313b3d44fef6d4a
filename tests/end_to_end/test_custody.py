"""The chain of custody against a failed write, two runs at once, a hostile writer and a foreign bucket (issue 13)."""

import collections
import concurrent.futures
import hashlib
import json

import boto3

from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import mutating
from tests.end_to_end.support import role_task
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import task_result

MANIFEST_KEY = f"{TICKET}/manifest.json"


def _changes(requests):
    """(service, action) of every change AWS accepted, except the writes of the record itself (manifest, reports, lease)."""
    return collections.Counter((r["service"], r["action"]) for r in mutating(requests) if r["status"] < 300 and r["service"] != "s3")


def _recorded(manifest):
    return collections.Counter((a["service"], a["action"]) for a in manifest["actions"] if a["outcome"] == "ok" and a["service"] != "s3")


def _failures(output):
    return [host.get("msg", "") for play in output["plays"] for task in play["tasks"] for host in task["hosts"].values() if host.get("failed")]


def test_a_refused_manifest_upload_is_kept_in_the_journal_and_the_next_run_uploads_it_before_any_change(lab, demo, tmp_path):
    journal = tmp_path / "journal"
    variables = {"ticket": TICKET, "evidence_journal_dir": str(journal)}
    lab.configure(faults=[{"service": "s3", "action": "PutObject", "key": MANIFEST_KEY, "code": "AccessDenied", "status": 403, "count": 1}])
    code, output = run_playbook(lab, "respond.yml", extra_vars=variables)
    first_run = lab.requests()
    made = _changes(first_run)
    assert code != 0 and sum(made.values()) >= 17
    assert not manifest_versions(lab, demo["bucket"]), "the refused upload wrote a version"
    kept = sorted(journal.rglob("*.json"))
    assert len(kept) == 1 and kept[0].parent == journal / demo["bucket"] / TICKET
    assert any(str(kept[0]) in message and "AccessDenied" in message for message in _failures(output)), _failures(output)

    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml", extra_vars=variables)
    assert code == 0
    replay = task_result(output, "Take the ticket's lease and upload the manifest versions a failed upload left in the journal")
    assert replay["journal_uploaded"] == [str(kept[0])] and not kept[0].exists()
    second_run = lab.requests()
    journal_upload = next(n for n, r in enumerate(second_run) if r["action"] == "PutObject" and r["params"].get("key") == MANIFEST_KEY)
    assert all(n > journal_upload for n, r in enumerate(second_run) if r in mutating(second_run) and r["service"] != "s3")
    versions = manifest_versions(lab, demo["bucket"])
    oldest = versions[-1]["manifest"]
    assert oldest["previous_version"] is None and oldest["runs"][0]["uploaded_from_journal"]["file"] == str(kept[0])
    assert _recorded(versions[0]["manifest"]) == made + _changes(second_run)


def test_a_journal_upload_refused_after_the_lease_was_taken_changes_nothing_and_releases_the_lease(lab, demo, tmp_path):
    # The lease and the journal upload are one task (evidence_manifest with lease): when the upload fails, that task has
    # already taken the lease, and the run must still release it, or the ticket stays blocked until the lease expires.
    variables = {"ticket": TICKET, "evidence_journal_dir": str(tmp_path / "journal"), "lease_wait_timeout": 0}
    lab.configure(faults=[{"service": "s3", "action": "PutObject", "key": MANIFEST_KEY, "code": "AccessDenied", "status": 403, "count": 2}])
    code, _output = run_playbook(lab, "respond.yml", extra_vars=variables)
    assert code != 0 and sorted((tmp_path / "journal").rglob("*.json"))

    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml", extra_vars=variables)
    assert code != 0
    taken = task_result(output, "Take the ticket's lease and upload the manifest versions a failed upload left in the journal")
    assert taken["failed"] and taken["lease"]["state"] == "held" and "AccessDenied" in taken["msg"]
    assert [r for r in mutating(lab.requests()) if r["service"] != "s3"] == []
    lease = json.loads(aws(lab, "s3").get_object(Bucket=demo["bucket"], Key=f"{TICKET}/lease.json")["Body"].read())
    assert lease["run_id"] == taken["lease"]["run_id"] and lease["state"] == "released"


def _respond_at_once(lab, runs):
    """Start every run of runs (extra vars each) at the same moment; returns [(exit code, output)] in the same order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(runs)) as pool:
        return list(pool.map(lambda variables: run_playbook(lab, "respond.yml", extra_vars=variables), runs))


def test_two_runs_of_one_ticket_at_once_make_one_response_and_one_chain_and_the_other_names_the_holder(lab, demo):
    results = _respond_at_once(lab, [{"ticket": TICKET, "lease_wait_timeout": 0}] * 2)
    assert sorted(code == 0 for code, _output in results) == [False, True]
    (_code, loser) = next(r for r in results if r[0] != 0)
    holder = [m for m in _failures(loser) if "is being handled by another run" in m]
    assert holder and "respond.yml" in holder[0] and "arn:aws:" in holder[0] and "Nothing was changed" in holder[0]
    assert task_result(loser, "Contain") is None and task_result(loser, "secops.aws_ir.containment : Contain the instances") is None

    requests = lab.requests()
    volumes = {v["VolumeId"] for v in aws(lab, "ec2").describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [demo["compromised_instance_id"]]}])["Volumes"]}
    assert [r["action"] for r in requests if r["action"] == "CreateSnapshots" and r["status"] < 300] == ["CreateSnapshots"]
    snapshots = aws(lab, "ec2").describe_snapshots(Filters=[{"Name": "tag:IncidentTicket", "Values": [TICKET]}])["Snapshots"]
    assert sorted(s["VolumeId"] for s in snapshots) == sorted(volumes)
    versions = manifest_versions(lab, demo["bucket"])
    assert [v["manifest"]["previous_version"] is None for v in versions].count(True) == 1
    for newer, older in zip(versions, versions[1:]):
        assert newer["manifest"]["previous_version"]["version_id"] == older["version_id"]
    # Every change AWS accepted is in the one chain: the run that lost made none.
    assert _recorded(versions[0]["manifest"]) == _changes(requests)
    code, output = run_playbook(lab, "verify.yml")
    assert code == 0, _failures(output)


def test_two_tickets_run_side_by_side(lab, demo):
    other = demo["instance_ids"][1]
    # Both instances are in one Auto Scaling group (desired 2, MinSize 1) and one VPC: both runs may read "decrement"
    # and "no quarantine group" before either changes anything; AWS then refuses the later decrement below MinSize
    # and the later CreateSecurityGroup as a duplicate. Both runs must still contain their instance.
    lab.clear_requests()
    results = _respond_at_once(lab, [{"ticket": TICKET, "instance_ids": [demo["compromised_instance_id"]], "lease_wait_timeout": 0},
                                     {"ticket": "INC-654321", "instance_ids": [other], "lease_wait_timeout": 0}])
    assert [code for code, _output in results] == [0, 0], [_failures(output) for _code, output in results]
    for ticket, instance in ((TICKET, demo["compromised_instance_id"]), ("INC-654321", other)):
        assert instance in manifest_versions(lab, demo["bucket"], ticket=ticket)[0]["manifest"]["instances"]
    group = aws(lab, "autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[demo["asg_name"]])["AutoScalingGroups"][0]
    # AWS never takes the desired capacity below MinSize: the group launches a replacement instead.
    left = {demo["compromised_instance_id"], other} & {i["InstanceId"] for i in group["Instances"]}
    assert left == set() and group["DesiredCapacity"] == group["MinSize"] == 1
    quarantine = aws(lab, "ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": ["aws-ir-quarantine"]}])["SecurityGroups"]
    assert len(quarantine) == 1


def test_an_evidence_bucket_another_account_created_is_refused_before_any_change(lab, demo):
    # The default name aws-ir-evidence-<account>-<Region> is predictable: another account can create a bucket by that
    # scheme first. Here account 111122223333 (the lab's other account, through STS) creates a versioned bucket.
    credentials = aws(lab, "sts").assume_role(RoleArn="arn:aws:iam::111122223333:role/squatter", RoleSessionName="squatter")["Credentials"]
    squatter = boto3.client("s3", endpoint_url=lab.endpoint_url, region_name="us-east-1", aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])
    squatter.create_bucket(Bucket="aws-ir-evidence-squatted")
    squatter.put_bucket_versioning(Bucket="aws-ir-evidence-squatted", VersioningConfiguration={"Status": "Enabled"})
    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "evidence_bucket": "aws-ir-evidence-squatted"})
    assert code != 0
    refusal = [m for m in _failures(output) if "aws-ir-evidence-squatted" in m and "is not owned by account 123456789012" in m]
    assert refusal, _failures(output)
    assert not mutating(lab.requests()) and not squatter.list_object_versions(Bucket="aws-ir-evidence-squatted").get("Versions")


def test_every_s3_request_of_a_response_names_the_expected_bucket_owner(lab, demo):
    code, _output = run_playbook(lab, "respond.yml")
    assert code == 0
    collection = [r for r in lab.requests() if r["service"] == "s3" and "Ansible" in r["user_agent"] and r["params"].get("bucket") == demo["bucket"]]
    assert collection and [r["action"] for r in collection if "x-amz-expected-bucket-owner" not in r["amz_headers"]] == []


def _signing_key(lab):
    return aws(lab, "kms").create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256", Description="aws-ir manifest signing")["KeyMetadata"]["Arn"]


def _append_forged_version(lab, bucket):
    """What a writer with only s3:PutObject can do: a schema-valid version with the right previous_version and SHA-256, another run, rewritten outcomes."""
    newest = manifest_versions(lab, bucket)[0]
    forged = json.loads(newest["body"])
    for record in forged["instances"].values():
        record["outcome"]["containment"] = {"status": "released", "detail": "nothing happened here"}
    forged["runs"].append(dict(forged["runs"][-1], run_id="00000000-0000-4000-8000-000000000000",
                               actor={"arn": "arn:aws:iam::123456789012:user/someone-else", "account": "123456789012"}))
    forged["previous_version"] = {"version_id": newest["version_id"], "sha256": hashlib.sha256(newest["body"]).hexdigest()}
    body = (json.dumps(forged, sort_keys=True, indent=2) + "\n").encode()
    return aws(lab, "s3").put_object(Bucket=bucket, Key=MANIFEST_KEY, Body=body, ChecksumAlgorithm="SHA256",
                                     ContentType="application/json")["VersionId"]


def test_a_version_appended_by_a_writer_without_the_signing_key_is_reported_forged_with_and_without_a_pin(lab, demo):
    key = _signing_key(lab)
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "manifest_signing_key": key})
    assert code == 0
    record = role_task(output, "record", "Write the evidence manifest")
    signed = aws(lab, "s3").head_object(Bucket=demo["bucket"], Key=MANIFEST_KEY, VersionId=record["version_id"])["Metadata"]
    assert signed["manifest-signing-key"] == key and signed["manifest-signing-algorithm"] == "ECDSA_SHA_256"
    code, output = run_playbook(lab, "verify.yml", extra_vars={"ticket": TICKET, "manifest_signing_key": key})
    assert code == 0, _failures(output)

    forged = _append_forged_version(lab, demo["bucket"])
    pin = {"manifest_version_id": record["version_id"], "manifest_sha256": record["sha256"]}
    for extra in ({}, pin):
        code, output = run_playbook(lab, "verify.yml", extra_vars=dict({"ticket": TICKET, "manifest_signing_key": key}, **extra))
        assert code != 0
        result = role_task(output, "verify", "Verify the manifest's hash chain, every artifact and every snapshot")
        assert "is NOT intact" in result["msg"]
        assert [d["object"] for d in result["discrepancies"]] == [f"s3://{demo['bucket']}/{MANIFEST_KEY} version {forged}"]
        assert "forged" in result["discrepancies"][0]["problem"]
    # Without the key the forged version cannot be told apart, and the verdict says so.
    code, output = run_playbook(lab, "verify.yml", extra_vars=dict({"ticket": TICKET}, **pin))
    result = role_task(output, "verify", "Verify the manifest's hash chain, every artifact and every snapshot")
    assert code == 0 and "NOT authenticated" in result["verdict"] and "proves the order" in result["verdict"]
    assert f"later version {forged}" in result["verdict"] and "someone-else" in result["verdict"]


def test_deleting_the_newest_manifest_version_leaves_evidence_verify_reports_as_unrecorded(lab, demo):
    lab.configure(faults=[{"service": "ec2", "action": "CreateSnapshots", "code": "UnauthorizedOperation", "status": 403}])
    code, _output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "capture_volatile": False})
    assert code != 0
    lab.configure(faults=[])
    code, _output = run_playbook(lab, "respond.yml")
    assert code == 0
    s3 = aws(lab, "s3")
    newest = manifest_versions(lab, demo["bucket"])[0]
    snapshots = [s["snapshot_id"] for r in newest["manifest"]["instances"].values() for s in r["snapshots"]]
    artifacts = [a["s3_uri"] for r in newest["manifest"]["instances"].values() for a in r["artifacts"]]
    assert snapshots and artifacts
    s3.delete_object(Bucket=demo["bucket"], Key=MANIFEST_KEY, VersionId=newest["version_id"], BypassGovernanceRetention=True)
    code, output = run_playbook(lab, "verify.yml")
    assert code != 0
    result = role_task(output, "verify", "Verify the manifest's hash chain, every artifact and every snapshot")
    reported = " ".join(d["object"] for d in result["discrepancies"] if "no manifest version records it" in d["problem"])
    assert all(s in reported for s in snapshots) and all(a in reported for a in artifacts)
