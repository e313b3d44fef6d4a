"""EBS snapshots, KMS keys and a second (forensic) account in the lab: moto's facts and the lab's corrections (lab/README.md)."""
import boto3
import pytest

from tests.lab.conftest import REGION
from tests.lab.conftest import describe_instance
from tests.lab.conftest import error_code

FORENSIC_ACCOUNT = "111122223333"


def _launch(ec2, instance_type="t3.micro"):
    """An Amazon Linux 2023 instance whose 8 GiB root volume is at the AMI's root device name (/dev/xvda)."""
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"]
    image = sorted(images, key=lambda i: i["ImageId"])[0]
    reservation = ec2.run_instances(ImageId=image["ImageId"], MinCount=1, MaxCount=1, InstanceType=instance_type,
                                    BlockDeviceMappings=[{"DeviceName": image["RootDeviceName"], "Ebs": {"VolumeSize": 8}}])
    return describe_instance(ec2, reservation["Instances"][0]["InstanceId"])


@pytest.fixture
def disks(aws):
    """An instance with its root volume and two attached data volumes: (instance id, root volume id, [data volume ids])."""
    ec2 = aws("ec2")
    instance = _launch(ec2)
    zone = instance["Placement"]["AvailabilityZone"]
    data = []
    for device in ("/dev/sdf", "/dev/sdg"):
        volume_id = ec2.create_volume(Size=2, AvailabilityZone=zone)["VolumeId"]
        ec2.attach_volume(VolumeId=volume_id, InstanceId=instance["InstanceId"], Device=device)
        data.append(volume_id)
    root = next(m["Ebs"]["VolumeId"] for m in instance["BlockDeviceMappings"] if m["DeviceName"] == instance["RootDeviceName"])
    return instance["InstanceId"], root, data


@pytest.fixture
def forensic(lab):
    """forensic("ec2", region) -> a client of the second account, through STS AssumeRole (moto maps the credentials to the role's account)."""
    credentials = boto3.client("sts", endpoint_url=lab.endpoint_url, region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{FORENSIC_ACCOUNT}:role/forensics", RoleSessionName="analyst")["Credentials"]

    def client(name, region=REGION):
        return boto3.client(name, endpoint_url=lab.endpoint_url, region_name=region, aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])

    return client


# --- moto facts ---

def test_assumed_role_credentials_act_in_the_roles_account(aws, forensic):
    assert forensic("sts").get_caller_identity()["Account"] == FORENSIC_ACCOUNT
    aws("ec2").create_volume(Size=1, AvailabilityZone="us-east-1a")
    assert forensic("ec2").describe_volumes()["Volumes"] == []  # each account has its own EC2


def test_a_copy_keeps_the_source_volume_id_and_encrypts_when_given_a_key(aws, disks):
    ec2 = aws("ec2")
    _instance_id, root, _data = disks
    source = ec2.create_snapshot(VolumeId=root)["SnapshotId"]
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    copy = ec2.copy_snapshot(SourceSnapshotId=source, SourceRegion=REGION, Encrypted=True, KmsKeyId=key)["SnapshotId"]
    described = ec2.describe_snapshots(SnapshotIds=[copy])["Snapshots"][0]
    # On AWS a copy's VolumeId is arbitrary ("vol-ffffffff"); moto keeps the source's. Not corrected: copies are found by tag.
    assert (described["VolumeId"], described["Encrypted"], described["KmsKeyId"], described["State"]) == (root, True, key, "completed")


def test_a_volume_from_an_encrypted_snapshot_has_no_key_id(aws):
    ec2 = aws("ec2")
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    volume_id = ec2.create_volume(Size=1, AvailabilityZone="us-east-1a", Encrypted=True, KmsKeyId=key)["VolumeId"]
    snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    restored = ec2.create_volume(SnapshotId=snapshot_id, AvailabilityZone="us-east-1a")
    assert restored["Encrypted"] is True and "KmsKeyId" not in restored  # AWS gives the snapshot's key: not corrected


# --- corrections ---

def test_create_snapshots_honours_excluded_data_volumes_and_answers_with_state(aws, disks):
    ec2 = aws("ec2")
    instance_id, root, (first, second) = disks
    made = ec2.create_snapshots(InstanceSpecification={"InstanceId": instance_id, "ExcludeBootVolume": True, "ExcludeDataVolumeIds": [first]},
                                TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "IncidentTicket", "Value": "INC-1"}]}])["Snapshots"]
    assert [(s["VolumeId"], s["State"]) for s in made] == [(second, "completed")]
    assert {"Key": "IncidentTicket", "Value": "INC-1"} in made[0]["Tags"]
    everything = ec2.create_snapshots(InstanceSpecification={"InstanceId": instance_id})["Snapshots"]
    assert sorted(s["VolumeId"] for s in everything) == sorted([root, first, second])


def test_create_snapshots_refuses_the_root_volume_among_excluded_data_volumes(aws, disks):
    ec2 = aws("ec2")
    instance_id, root, _data = disks
    specification = {"InstanceId": instance_id, "ExcludeDataVolumeIds": [root]}
    assert error_code(lambda: ec2.create_snapshots(InstanceSpecification=specification)) == "InvalidParameterValue"
    assert ec2.describe_snapshots(Filters=[{"Name": "volume-id", "Values": [root]}])["Snapshots"] == []


def test_a_snapshot_carries_its_volumes_kms_key(aws):
    ec2 = aws("ec2")
    instance = _launch(ec2)
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    volume_id = ec2.create_volume(Size=1, AvailabilityZone=instance["Placement"]["AvailabilityZone"], Encrypted=True, KmsKeyId=key)["VolumeId"]
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance["InstanceId"], Device="/dev/sdf")
    made = ec2.create_snapshots(InstanceSpecification={"InstanceId": instance["InstanceId"], "ExcludeBootVolume": True})["Snapshots"]
    assert ec2.describe_snapshots(SnapshotIds=[made[0]["SnapshotId"]])["Snapshots"][0]["KmsKeyId"] == key


@pytest.mark.parametrize("tags, code", [
    ([{"Key": "aws:autoscaling:groupName", "Value": "web-asg"}], "InvalidParameterValue"),
    ([{"Key": "k", "Value": "v" * 257}], "InvalidParameterValue"),
    ([{"Key": f"k{i}", "Value": "v"} for i in range(51)], "TagLimitExceeded"),
])
def test_tag_specifications_follow_the_tag_rules(aws, disks, tags, code):
    ec2 = aws("ec2")
    instance_id, root, _data = disks
    spec = [{"ResourceType": "snapshot", "Tags": tags}]
    assert error_code(lambda: ec2.create_snapshots(InstanceSpecification={"InstanceId": instance_id}, TagSpecifications=spec)) == code
    source = ec2.create_snapshot(VolumeId=root)["SnapshotId"]
    assert error_code(lambda: ec2.copy_snapshot(SourceSnapshotId=source, SourceRegion=REGION, TagSpecifications=spec)) == code
    volume_spec = [{"ResourceType": "volume", "Tags": tags}]
    assert error_code(lambda: ec2.create_volume(Size=1, AvailabilityZone="us-east-1a", TagSpecifications=volume_spec)) == code


def test_the_aws_ebs_key_is_aws_managed_and_its_snapshots_cannot_be_shared(aws):
    ec2, kms = aws("ec2"), aws("kms")
    volume_id = ec2.create_volume(Size=1, AvailabilityZone="us-east-1a", Encrypted=True)["VolumeId"]  # the default key, aws/ebs
    assert kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["KeyManager"] == "AWS"
    assert kms.describe_key(KeyId=kms.create_key()["KeyMetadata"]["KeyId"])["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    share = {"SnapshotId": snapshot_id, "Attribute": "createVolumePermission", "OperationType": "add", "UserIds": [FORENSIC_ACCOUNT]}
    assert error_code(lambda: ec2.modify_snapshot_attribute(**share)) == "OperationNotPermitted"
    assert ec2.describe_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission")["CreateVolumePermissions"] == []


def test_a_snapshot_shared_with_an_account_is_visible_to_it_without_its_tags(aws, forensic, disks):
    ec2 = aws("ec2")
    _instance_id, root, _data = disks
    snapshot_id = ec2.create_snapshot(VolumeId=root, TagSpecifications=[
        {"ResourceType": "snapshot", "Tags": [{"Key": "IncidentTicket", "Value": "INC-1"}]}])["SnapshotId"]
    theirs = forensic("ec2")
    assert error_code(lambda: theirs.describe_snapshots(SnapshotIds=[snapshot_id])) == "InvalidSnapshot.NotFound"
    ec2.modify_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission", OperationType="add", UserIds=[FORENSIC_ACCOUNT])
    seen = theirs.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]
    assert (seen["OwnerId"], seen.get("Tags", [])) == ("123456789012", [])  # tags are not shared
    volume = theirs.create_volume(SnapshotId=snapshot_id, AvailabilityZone="us-east-1b")
    assert (volume["SnapshotId"], theirs.describe_volumes(VolumeIds=[volume["VolumeId"]])["Volumes"][0]["AvailabilityZone"]) == (snapshot_id, "us-east-1b")
    ec2.modify_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission", OperationType="remove", UserIds=[FORENSIC_ACCOUNT])
    assert error_code(lambda: theirs.describe_snapshots(SnapshotIds=[snapshot_id])) == "InvalidSnapshot.NotFound"
