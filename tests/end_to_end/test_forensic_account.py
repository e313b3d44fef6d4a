"""respond.yml with copy_to.role_arn: the forensic account makes, owns and locks its copies; read back in that account with boto3.

Two accounts in the lab: the compromised one (the playbook's credentials) and the forensic one,
reached as AWS does, by STS AssumeRole of a role of that account.
"""

import json

import boto3
import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest import validate
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import first_failure
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import task_result

FORENSIC_ACCOUNT = "111122223333"
COMPROMISED_ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{FORENSIC_ACCOUNT}:role/aws-ir-forensic"
REGION = "us-east-1"
VERIFY_TASK = "secops.aws_ir.verify : Verify the manifest's hash chain, every artifact and every snapshot"


def forensic(lab, service):
    """A boto3 client of the forensic account (AssumeRole of its role, as an analyst there would)."""
    credentials = aws(lab, "sts").assume_role(RoleArn=ROLE_ARN, RoleSessionName="analyst")["Credentials"]
    return boto3.client(service, endpoint_url=lab.endpoint_url, region_name=REGION, aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])


def key_policy(*statements):
    """A key policy of the compromised account: its own root may administer the key, then statements."""
    owner = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{COMPROMISED_ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [owner, *statements]})


# What AWS documents the other account needs on a shared snapshot's key (EBS User Guide, "Share an Amazon EBS snapshot").
FORENSIC_USE = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{FORENSIC_ACCOUNT}:root"}, "Resource": "*",
                "Action": ["kms:DescribeKey", "kms:CreateGrant", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"]}


@pytest.fixture
def keys(lab):
    """(the compromised account's sharing key, whose policy lets the forensic account use it; the forensic account's own key) ARNs."""
    share = aws(lab, "kms").create_key(Description="aws-ir share", Policy=key_policy(FORENSIC_USE))["KeyMetadata"]["Arn"]
    own = forensic(lab, "kms").create_key(Description="aws-ir evidence")["KeyMetadata"]["Arn"]
    lab.clear_requests()
    return share, own


def bad_key(lab, which):
    """A key that cannot serve: the compromised account's without the forensic account in its policy, or the forensic account's disabled or asymmetric."""
    if which == "unshared":
        return aws(lab, "kms").create_key(Description="aws-ir share", Policy=key_policy())["KeyMetadata"]["Arn"]
    if which == "grant denied":
        deny = {"Effect": "Deny", "Principal": {"AWS": FORENSIC_ACCOUNT}, "Action": "kms:CreateGrant", "Resource": "*"}
        return aws(lab, "kms").create_key(Description="aws-ir share", Policy=key_policy(FORENSIC_USE, deny))["KeyMetadata"]["Arn"]
    kms = forensic(lab, "kms")
    if which == "disabled":
        key = kms.create_key(Description="aws-ir evidence")["KeyMetadata"]["Arn"]
        kms.disable_key(KeyId=key.split("/")[-1])
        return key
    return kms.create_key(Description="aws-ir evidence", KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["Arn"]


def copy_to(keys, **extra):
    share, own = keys
    return dict({"account_id": FORENSIC_ACCOUNT, "kms_key_id": share, "role_arn": ROLE_ARN, "forensic_kms_key_id": own,
                 "lock": {"mode": "compliance", "duration_days": 30}}, **extra)


def manifest_of(lab, demo):
    manifest = json.loads(aws(lab, "s3").get_object(Bucket=demo["bucket"], Key=f"{TICKET}/manifest.json")["Body"].read())
    validate(manifest)
    return manifest


def forensic_copies(manifest, instance_id):
    return {s["snapshot_id"]: next(c for c in s["copies"] if c.get("owner_id")) for s in manifest["instances"][instance_id]["snapshots"]}


def test_the_forensic_account_owns_locked_copies_under_its_key_and_a_rerun_creates_nothing(lab, demo, keys):
    _share, own = keys
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to(keys)})
    assert code == 0, json.dumps(output["stats"])
    manifest = manifest_of(lab, demo)
    instance_id = demo["compromised_instance_id"]
    recorded = forensic_copies(manifest, instance_id)
    assert len(recorded) == len(demo["volume_ids"][instance_id])
    ec2 = forensic(lab, "ec2")
    found = {s["SnapshotId"]: s for s in ec2.describe_snapshots(SnapshotIds=[c["snapshot_id"] for c in recorded.values()])["Snapshots"]}
    locked = {s["SnapshotId"]: s for s in ec2.describe_locked_snapshots(SnapshotIds=list(found))["Snapshots"]}
    for original_id, copy in recorded.items():
        now = found[copy["snapshot_id"]]
        assert (now["OwnerId"], now["KmsKeyId"], now["State"], now["Encrypted"]) == (FORENSIC_ACCOUNT, own, "completed", True)
        assert {t["Key"]: t["Value"] for t in now["Tags"]}["SourceSnapshotId"] == original_id
        assert (copy["owner_id"], copy["kms_key_id"], copy["region"], copy["state"]) == (FORENSIC_ACCOUNT, own, REGION, "completed")
        assert copy["copied_from"] != original_id and copy["start_time"] and copy["end_time"]
        assert (locked[copy["snapshot_id"]]["LockState"], locked[copy["snapshot_id"]]["LockDuration"]) == ("compliance", 30)
        assert (copy["lock"]["state"], copy["lock"]["duration_days"]) == ("compliance", 30)
        # The compromised account (with the playbook's own credentials) cannot delete it; the forensic account cannot either.
        with pytest.raises(Exception, match="InvalidSnapshot.NotFound"):
            aws(lab, "ec2").delete_snapshot(SnapshotId=copy["snapshot_id"])
        with pytest.raises(Exception, match="SnapshotLocked"):
            ec2.delete_snapshot(SnapshotId=copy["snapshot_id"])
    forensic_calls = [a for a in manifest["actions"] if a["target"].startswith(f"arn:aws:ec2:{REGION}:{FORENSIC_ACCOUNT}:")]
    assert sorted(a["action"] for a in forensic_calls) == ["CopySnapshot"] * 2 + ["LockSnapshot"] * 2

    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to(keys)})
    assert code == 0, json.dumps(output["stats"])
    made = [r["action"] for r in mutating(lab.requests()) if r["service"] == "ec2"]
    assert [a for a in made if a in ("CopySnapshot", "LockSnapshot", "CreateSnapshots", "DeleteSnapshot")] == []
    assert forensic_copies(manifest_of(lab, demo), instance_id) == recorded


def test_remove_intermediate_deletes_only_the_shared_copy_and_a_rerun_makes_no_new_one(lab, demo, keys):
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to(keys, remove_intermediate=True)})
    assert code == 0, json.dumps(output["stats"])
    instance_id = demo["compromised_instance_id"]
    snapshots = manifest_of(lab, demo)["instances"][instance_id]["snapshots"]
    shared = [c for s in snapshots for c in s["copies"] if not c.get("owner_id")]
    assert [c["state"] for c in shared] == ["deleted", "deleted"]
    ec2 = aws(lab, "ec2")
    left = ec2.describe_snapshots(Filters=[{"Name": "snapshot-id", "Values": [c["snapshot_id"] for c in shared]}])["Snapshots"]
    assert left == []
    originals = ec2.describe_snapshots(SnapshotIds=[s["snapshot_id"] for s in snapshots])["Snapshots"]
    assert [s["State"] for s in originals] == ["completed", "completed"]
    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to(keys, remove_intermediate=True)})
    assert code == 0, json.dumps(output["stats"])
    assert [r["action"] for r in mutating(lab.requests()) if r["action"] in ("CopySnapshot", "DeleteSnapshot", "LockSnapshot")] == []


def test_a_role_that_cannot_be_assumed_stops_the_run_before_the_first_change(lab, demo, keys):
    lab.configure(faults=[{"service": "sts", "action": "AssumeRole", "code": "AccessDenied", "status": 403,
                           "message": "not authorized to perform: sts:AssumeRole"}])
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to(keys)})
    assert code != 0
    assert [r["action"] for r in mutating(lab.requests())] == []
    failure = first_failure(output)[1]
    assert f"copy_to.role_arn '{ROLE_ARN}' cannot be assumed: AccessDenied" in failure


@pytest.mark.parametrize("change, message", [
    ({"forensic_kms_key_id": "alias/none"}, f"copy_to.forensic_kms_key_id 'alias/none' does not exist in account {FORENSIC_ACCOUNT}, Region {REGION}"),
    ({"lock": {"mode": "compliance", "duration_days": 36501}}, "copy_to.lock.duration_days: 36501 is outside 1..36500 days"),
    ({"lock": {"mode": "governance", "duration_days": 1, "cool_off_period_hours": 2}},
     "copy_to.lock.cool_off_period_hours is for compliance mode only"),
    ({"lock": {"mode": "compliance", "duration_days": 1, "cool_off_period_hours": 73}},
     "copy_to.lock.cool_off_period_hours: 73 is outside 1..72 hours"),
    ({"role_arn": "arn:aws:iam::444455556666:role/other"}, "is a role of account 444455556666, not of copy_to.account_id"),
    ({"forensic_kms_key_id": "disabled"}, "copy_to.forensic_kms_key_id '{key}' is Disabled, not Enabled"),
    ({"forensic_kms_key_id": "asymmetric"}, "copy_to.forensic_kms_key_id '{key}' is not a symmetric encryption key"),
    ({"kms_key_id": "unshared"}, f"copy_to.kms_key_id '{{key}}' (account {COMPROMISED_ACCOUNT}, {REGION}): its key policy does not allow "
                                 f"account {FORENSIC_ACCOUNT} kms:CreateGrant, kms:Decrypt, kms:DescribeKey"),
    ({"kms_key_id": "grant denied"}, f"copy_to.kms_key_id '{{key}}' (account {COMPROMISED_ACCOUNT}, {REGION}): its key policy does not "
                                     f"allow account {FORENSIC_ACCOUNT} kms:CreateGrant,"),
])
def test_bad_forensic_settings_stop_the_run_before_the_first_change(lab, demo, keys, change, message):
    field, value = next(iter(change.items()))
    if field.endswith("kms_key_id") and value in ("unshared", "grant denied", "disabled", "asymmetric"):
        change = {field: bad_key(lab, value)}
        message = message.replace("{key}", change[field])
        lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to(keys, **change)})
    assert code != 0
    assert [r["action"] for r in mutating(lab.requests())] == []
    assert message in first_failure(output)[1]


def test_a_failed_forensic_copy_leaves_containment_and_originals_and_a_rerun_completes_it(lab, demo, keys):
    # The third CopySnapshot is the forensic account's first (the two shared copies come first): its role may not use the key.
    lab.configure(faults=[{"service": "ec2", "action": "CopySnapshot", "code": "UnauthorizedOperation", "status": 403, "after": 2, "count": 1}])
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to(keys)})
    assert code != 0
    instance_id = demo["compromised_instance_id"]
    manifest = manifest_of(lab, demo)
    failed = [a for a in manifest["actions"] if a["action"] == "CopySnapshot" and a["outcome"] == "error"]
    assert [a["error_code"] for a in failed] == ["UnauthorizedOperation"] and failed[0]["target"].startswith(f"arn:aws:ec2:{REGION}:{FORENSIC_ACCOUNT}:")
    assert manifest["instances"][instance_id]["outcome"]["containment"]["status"] == "isolated"
    originals = [s["snapshot_id"] for s in manifest["instances"][instance_id]["snapshots"]]
    assert [s["State"] for s in aws(lab, "ec2").describe_snapshots(SnapshotIds=originals)["Snapshots"]] == ["completed", "completed"]
    shared = sorted(c["snapshot_id"] for s in manifest["instances"][instance_id]["snapshots"] for c in s["copies"])
    assert len(shared) == 2  # the two shared copies, made before the refused forensic copy
    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to(keys)})
    assert code == 0, json.dumps(output["stats"])
    # Only the two forensic copies are made: no second shared copy, no second snapshot.
    assert [r["action"] for r in mutating(lab.requests()) if r["action"] in ("CopySnapshot", "CreateSnapshots")] == ["CopySnapshot"] * 2
    recorded = forensic_copies(manifest_of(lab, demo), instance_id)
    assert sorted(c["copied_from"] for c in recorded.values()) == shared


def test_lock_originals_locks_the_originals_in_the_compromised_account_too(lab, demo, keys):
    lock = {"mode": "governance", "duration_days": 7}
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to(keys, lock=lock, lock_originals=True)})
    assert code == 0, json.dumps(output["stats"])
    instance_id = demo["compromised_instance_id"]
    snapshots = manifest_of(lab, demo)["instances"][instance_id]["snapshots"]
    ec2 = aws(lab, "ec2")
    locked = {s["SnapshotId"]: s for s in ec2.describe_locked_snapshots(SnapshotIds=[s["snapshot_id"] for s in snapshots])["Snapshots"]}
    for snapshot in snapshots:
        assert (locked[snapshot["snapshot_id"]]["LockState"], locked[snapshot["snapshot_id"]]["LockDuration"]) == ("governance", 7)
        assert (snapshot["lock"]["mode"], snapshot["lock"]["duration_days"]) == ("governance", 7)
        with pytest.raises(Exception, match="SnapshotLocked"):
            ec2.delete_snapshot(SnapshotId=snapshot["snapshot_id"])


def test_check_mode_plans_the_forensic_copies_and_changes_nothing(lab, demo, keys):
    code, output = run_playbook(lab, "respond.yml", "--check", extra_vars={"ticket": TICKET, "copy_to": copy_to(keys)})
    assert code == 0, json.dumps(output["stats"])
    assert [r["action"] for r in mutating(lab.requests())] == []
    assert forensic(lab, "ec2").describe_snapshots(Filters=[{"Name": "tag:IncidentTicket", "Values": [TICKET]}])["Snapshots"] == []


def test_verify_checks_the_forensic_side_and_names_a_copy_unlocked_or_gone(lab, demo, keys):
    governance = copy_to(keys, lock={"mode": "governance", "duration_days": 3})
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": governance})
    assert code == 0, json.dumps(output["stats"])
    code, output = run_playbook(lab, "verify.yml", extra_vars={"ticket": TICKET, "forensic_role_arn": ROLE_ARN})
    assert code == 0, task_result(output, VERIFY_TASK)["msg"]
    # Without the role the recorded copies cannot be checked: verify says so instead of passing.
    code, output = run_playbook(lab, "verify.yml", extra_vars={"ticket": TICKET})
    assert code != 0
    assert "give forensic_role_arn to check them" in task_result(output, VERIFY_TASK)["msg"]
    # Someone in the forensic account lifts the governance lock of one copy and deletes another.
    [first, second] = sorted(forensic_copies(manifest_of(lab, demo), demo["compromised_instance_id"]).values(), key=lambda c: c["snapshot_id"])
    ec2 = forensic(lab, "ec2")
    ec2.unlock_snapshot(SnapshotId=first["snapshot_id"])
    ec2.unlock_snapshot(SnapshotId=second["snapshot_id"])
    ec2.delete_snapshot(SnapshotId=second["snapshot_id"])
    code, output = run_playbook(lab, "verify.yml", extra_vars={"ticket": TICKET, "forensic_role_arn": ROLE_ARN})
    assert code != 0
    message = task_result(output, VERIFY_TASK)["msg"]
    assert f"{first['snapshot_id']}: is not locked any more (recorded governance until" in message
    assert f"{second['snapshot_id']}: no longer exists in the forensic account {FORENSIC_ACCOUNT}" in message
    assert "2 discrepancies" in message


def test_analyze_works_from_the_forensic_accounts_own_copies_and_creates_the_volumes_there(lab, demo, keys):
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to(keys, remove_intermediate=True)})
    assert code == 0, json.dumps(output["stats"])
    recorded = [c["snapshot_id"] for c in forensic_copies(manifest_of(lab, demo), demo["compromised_instance_id"]).values()]
    credentials = aws(lab, "sts").assume_role(RoleArn=ROLE_ARN, RoleSessionName="analyst")["Credentials"]
    ec2 = forensic(lab, "ec2")
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"][0]
    workstation = ec2.run_instances(ImageId=image["ImageId"], MinCount=1, MaxCount=1, InstanceType="t3.large",
                                    BlockDeviceMappings=[{"DeviceName": image["RootDeviceName"], "Ebs": {"VolumeSize": 8}}])["Instances"][0]["InstanceId"]
    env = {"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
           "AWS_SESSION_TOKEN": credentials["SessionToken"], "AWS_REGION": REGION}
    # No snapshot_ids: the copies the manifest records as the forensic account's own (the shared ones are deleted).
    code, output = run_playbook(lab, "analyze.yml", extra_vars={"ticket": TICKET, "analysis_instance_id": workstation,
                                                                "evidence_bucket": demo["bucket"]}, env=env)
    assert code == 0, json.dumps(output["stats"])
    volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [workstation]}])["Volumes"]
    assert sorted(v["SnapshotId"] for v in volumes if v.get("SnapshotId") in recorded) == sorted(recorded)
