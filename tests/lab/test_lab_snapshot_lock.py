"""EBS snapshot lock and connection tracking timeouts, which moto lacks, as the lab emulates them (lab/README.md).

Expected values come from the EC2 API Reference: LockSnapshot (LockMode, LockDuration 1..36500 days,
ExpirationDate, CoolOffPeriod 1..72 hours), LockedSnapshotsInfo (lock states), UnlockSnapshot, and
ConnectionTrackingSpecificationRequest (TcpEstablishedTimeout 60..432000, UdpStreamTimeout 60..180,
UdpTimeout 30..60 seconds).
"""
import datetime

import boto3
import pytest
from botocore.config import Config

from tests.lab.conftest import REGION
from tests.lab.conftest import error_code

FORENSIC_ACCOUNT = "111122223333"
COMPROMISED_ACCOUNT = "123456789012"


@pytest.fixture
def forensic(lab):
    """forensic("ec2") -> a client of the forensic account through STS AssumeRole (moto keys the account on the assumed role's access key)."""
    credentials = boto3.client("sts", endpoint_url=lab.endpoint_url, region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{FORENSIC_ACCOUNT}:role/aws-ir-forensic", RoleSessionName="aws-ir")["Credentials"]

    def client(name):
        return boto3.client(name, endpoint_url=lab.endpoint_url, region_name=REGION, aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])

    return client


def _snapshot(ec2):
    volume_id = ec2.create_volume(Size=1, AvailabilityZone="us-east-1a")["VolumeId"]
    return ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]


def _locks(ec2, snapshot_id):
    return ec2.describe_locked_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]


def test_a_locked_snapshot_cannot_be_deleted_in_either_mode(aws):
    ec2 = aws("ec2")
    governed, compliant = _snapshot(ec2), _snapshot(ec2)
    ec2.lock_snapshot(SnapshotId=governed, LockMode="governance", LockDuration=1)
    ec2.lock_snapshot(SnapshotId=compliant, LockMode="compliance", LockDuration=1)
    assert error_code(lambda: ec2.delete_snapshot(SnapshotId=governed)) == "SnapshotLocked"
    assert error_code(lambda: ec2.delete_snapshot(SnapshotId=compliant)) == "SnapshotLocked"
    assert {s["SnapshotId"] for s in ec2.describe_snapshots(SnapshotIds=[governed, compliant])["Snapshots"]} == {governed, compliant}


def test_lock_answers_and_describe_locked_snapshots_give_the_documented_fields(aws):
    ec2 = aws("ec2")
    snapshot_id = _snapshot(ec2)
    answer = ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="compliance", LockDuration=30, CoolOffPeriod=24)
    assert (answer["LockState"], answer["LockDuration"], answer["CoolOffPeriod"]) == ("compliance-cooloff", 30, 24)
    assert answer["LockExpiresOn"] - answer["LockDurationStartTime"] == datetime.timedelta(days=30)
    assert answer["CoolOffPeriodExpiresOn"] - answer["LockCreatedOn"] == datetime.timedelta(hours=24)
    [described] = _locks(ec2, snapshot_id)
    assert (described["OwnerId"], described["LockState"], described["LockExpiresOn"]) == (
        COMPROMISED_ACCOUNT, "compliance-cooloff", answer["LockExpiresOn"])
    assert ec2.describe_locked_snapshots(Filters=[{"Name": "lock-state", "Values": ["governance"]}])["Snapshots"] == []


@pytest.mark.parametrize("arguments", [
    {"LockMode": "permanent", "LockDuration": 1},
    {"LockMode": "governance", "LockDuration": 0},
    {"LockMode": "governance", "LockDuration": 36501},
    {"LockMode": "compliance", "LockDuration": 1, "CoolOffPeriod": 73},
    {"LockMode": "compliance", "LockDuration": 1, "CoolOffPeriod": 0},
])
def test_a_lock_mode_duration_or_cool_off_out_of_range_is_refused(lab, aws, arguments):
    ec2 = aws("ec2")
    # botocore checks the documented minima itself: send the request as another client might.
    unchecked = boto3.client("ec2", endpoint_url=lab.endpoint_url, region_name=REGION, config=Config(parameter_validation=False))
    snapshot_id = _snapshot(ec2)
    assert error_code(lambda: unchecked.lock_snapshot(SnapshotId=snapshot_id, **arguments)) == "InvalidParameterValue"
    assert _locks(ec2, snapshot_id) == []


@pytest.mark.parametrize("arguments", [
    {"LockMode": "governance"},
    {"LockMode": "governance", "LockDuration": 1, "ExpirationDate": datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)},
    {"LockMode": "governance", "LockDuration": 1, "CoolOffPeriod": 1},
])
def test_duration_and_expiry_are_exclusive_and_cool_off_is_for_compliance_only(aws, arguments):
    ec2 = aws("ec2")
    snapshot_id = _snapshot(ec2)
    assert error_code(lambda: ec2.lock_snapshot(SnapshotId=snapshot_id, **arguments)) == "InvalidParameterCombination"


def test_a_compliance_lock_after_its_cool_off_cannot_be_unlocked_shortened_or_made_governance(aws):
    ec2 = aws("ec2")
    snapshot_id = _snapshot(ec2)
    # No CoolOffPeriod: compliance at once ("To lock the snapshot in compliance mode immediately ... omit this parameter").
    assert ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="compliance", LockDuration=10)["LockState"] == "compliance"
    assert error_code(lambda: ec2.unlock_snapshot(SnapshotId=snapshot_id)) == "SnapshotLocked"
    assert error_code(lambda: ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="compliance", LockDuration=9)) == "SnapshotLocked"
    assert error_code(lambda: ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="governance", LockDuration=20)) == "SnapshotLocked"
    assert error_code(lambda: ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="compliance", LockDuration=20, CoolOffPeriod=1)) == (
        "SnapshotLocked")
    [lock] = _locks(ec2, snapshot_id)
    assert (lock["LockState"], lock["LockDuration"]) == ("compliance", 10)
    extended = ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="compliance", LockDuration=20)  # only an extension is allowed
    assert (extended["LockDuration"], extended["LockExpiresOn"] - extended["LockDurationStartTime"]) == (20, datetime.timedelta(days=20))


def test_governance_and_cooling_off_locks_can_be_unlocked_by_a_permitted_user_and_the_snapshot_deleted(aws):
    ec2 = aws("ec2")
    governed, cooling = _snapshot(ec2), _snapshot(ec2)
    ec2.lock_snapshot(SnapshotId=governed, LockMode="governance", LockDuration=5)
    ec2.lock_snapshot(SnapshotId=cooling, LockMode="compliance", LockDuration=5, CoolOffPeriod=72)
    assert ec2.lock_snapshot(SnapshotId=governed, LockMode="governance", LockDuration=1)["LockDuration"] == 1  # may be shortened
    for snapshot_id in (governed, cooling):
        assert ec2.unlock_snapshot(SnapshotId=snapshot_id)["SnapshotId"] == snapshot_id
        ec2.delete_snapshot(SnapshotId=snapshot_id)
    assert ec2.describe_snapshots(Filters=[{"Name": "snapshot-id", "Values": [governed, cooling]}])["Snapshots"] == []


def test_the_compromised_account_cannot_delete_unlock_or_see_the_forensic_accounts_locked_copy(aws, forensic):
    ec2 = aws("ec2")
    original = _snapshot(ec2)
    key = forensic("kms").create_key()["KeyMetadata"]["Arn"]
    ec2.modify_snapshot_attribute(SnapshotId=original, Attribute="createVolumePermission", OperationType="add", UserIds=[FORENSIC_ACCOUNT])
    copy = forensic("ec2").copy_snapshot(SourceSnapshotId=original, SourceRegion=REGION, Encrypted=True, KmsKeyId=key)["SnapshotId"]
    forensic("ec2").lock_snapshot(SnapshotId=copy, LockMode="compliance", LockDuration=7)
    # The compromised account (its administrator) can neither delete nor unlock it, nor lock it otherwise: it is not its snapshot.
    assert error_code(lambda: ec2.delete_snapshot(SnapshotId=copy)) == "InvalidSnapshot.NotFound"
    assert error_code(lambda: ec2.unlock_snapshot(SnapshotId=copy)) == "InvalidSnapshot.NotFound"
    assert error_code(lambda: ec2.lock_snapshot(SnapshotId=copy, LockMode="governance", LockDuration=1)) == "InvalidSnapshot.NotFound"
    # Nor can the forensic account itself, once the compliance lock is past its (absent) cooling-off period.
    assert error_code(lambda: forensic("ec2").delete_snapshot(SnapshotId=copy)) == "SnapshotLocked"
    [described] = forensic("ec2").describe_snapshots(SnapshotIds=[copy])["Snapshots"]
    assert (described["OwnerId"], described["KmsKeyId"], described["State"]) == (FORENSIC_ACCOUNT, key, "completed")
    assert _locks(forensic("ec2"), copy)[0]["LockState"] == "compliance"


# --- connection tracking ---

def _interface(aws, launch, instance_type=None):
    ec2 = aws("ec2")
    [instance_id] = launch()
    if instance_type:
        ec2.stop_instances(InstanceIds=[instance_id])
        ec2.modify_instance_attribute(InstanceId=instance_id, Attribute="instanceType", Value=instance_type)
    reservation = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]
    return instance_id, reservation["Instances"][0]["NetworkInterfaces"][0]["NetworkInterfaceId"]


def test_connection_tracking_timeouts_are_set_kept_per_field_and_shown_by_both_describes(aws, launch):
    ec2 = aws("ec2")
    instance_id, interface_id = _interface(aws, launch)  # t3.micro: Nitro
    [before] = ec2.describe_network_interfaces(NetworkInterfaceIds=[interface_id])["NetworkInterfaces"]
    assert "ConnectionTrackingConfiguration" not in before
    ec2.modify_network_interface_attribute(NetworkInterfaceId=interface_id, ConnectionTrackingSpecification={
        "TcpEstablishedTimeout": 60, "UdpStreamTimeout": 60, "UdpTimeout": 30})
    ec2.modify_network_interface_attribute(NetworkInterfaceId=interface_id, ConnectionTrackingSpecification={"UdpTimeout": 45})
    wanted = {"TcpEstablishedTimeout": 60, "UdpStreamTimeout": 60, "UdpTimeout": 45}
    [after] = ec2.describe_network_interfaces(NetworkInterfaceIds=[interface_id])["NetworkInterfaces"]
    assert after["ConnectionTrackingConfiguration"] == wanted
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert instance["NetworkInterfaces"][0]["ConnectionTrackingConfiguration"] == wanted


@pytest.mark.parametrize("specification", [
    {"TcpEstablishedTimeout": 59}, {"TcpEstablishedTimeout": 432001}, {"UdpStreamTimeout": 59}, {"UdpStreamTimeout": 181},
    {"UdpTimeout": 29}, {"UdpTimeout": 61},
])
def test_connection_tracking_timeouts_out_of_range_are_refused(aws, launch, specification):
    ec2 = aws("ec2")
    _instance_id, interface_id = _interface(aws, launch)
    assert error_code(lambda: ec2.modify_network_interface_attribute(
        NetworkInterfaceId=interface_id, ConnectionTrackingSpecification=specification)) == "InvalidParameterValue"
    [interface] = ec2.describe_network_interfaces(NetworkInterfaceIds=[interface_id])["NetworkInterfaces"]
    assert "ConnectionTrackingConfiguration" not in interface


def test_connection_tracking_timeouts_are_refused_on_a_xen_instance_type(aws, launch):
    ec2 = aws("ec2")
    _instance_id, interface_id = _interface(aws, launch, instance_type="t2.micro")
    assert error_code(lambda: ec2.modify_network_interface_attribute(
        NetworkInterfaceId=interface_id, ConnectionTrackingSpecification={"TcpEstablishedTimeout": 60})) == "UnsupportedOperation"


# --- S3 bucket owner condition ---

def test_a_request_naming_another_expected_bucket_owner_is_refused(aws, forensic):
    forensic("s3").create_bucket(Bucket="aws-ir-evidence-forensic")
    s3 = forensic("s3")
    s3.head_bucket(Bucket="aws-ir-evidence-forensic", ExpectedBucketOwner=FORENSIC_ACCOUNT)
    assert error_code(lambda: s3.head_bucket(Bucket="aws-ir-evidence-forensic", ExpectedBucketOwner=COMPROMISED_ACCOUNT)) == "403"
    put = aws("s3").put_object
    assert error_code(lambda: put(Bucket="aws-ir-evidence-forensic", Key="k", Body=b"x", ExpectedBucketOwner=COMPROMISED_ACCOUNT)) == "AccessDenied"
