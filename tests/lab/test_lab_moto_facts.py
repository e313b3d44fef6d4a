"""What moto does (and what the lab corrects) for the calls the collection makes; lab/README.md lists each."""
import base64
import datetime
import hashlib
import json

import boto3
import pytest
from botocore.config import Config

from lab.scene import build_demo_scene
from tests.lab.conftest import describe_instance as _instance
from tests.lab.conftest import error_code as _code


def _shutdown_behavior(ec2, instance_id):
    return ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="instanceInitiatedShutdownBehavior")["InstanceInitiatedShutdownBehavior"]["Value"]


@pytest.fixture
def scene(lab):
    return build_demo_scene(lab.endpoint_url)


# --- moto facts (not corrected) ---

def test_shutdown_behavior_dict_form_is_ignored_and_clears_groups(aws, launch):
    ec2 = aws("ec2")
    instance_id = launch()[0]
    ec2.modify_instance_attribute(InstanceId=instance_id, InstanceInitiatedShutdownBehavior={"Value": "terminate"})
    assert _shutdown_behavior(ec2, instance_id) == "stop"
    assert _instance(ec2, instance_id)["SecurityGroups"] == []
    ec2.modify_instance_attribute(InstanceId=instance_id, Attribute="instanceInitiatedShutdownBehavior", Value="terminate")
    assert _shutdown_behavior(ec2, instance_id) == "terminate"


def test_snapshots(aws, launch):
    ec2 = aws("ec2")
    instance_id = launch()[0]
    volume_id = _instance(ec2, instance_id)["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    ec2.create_tags(Resources=[volume_id], Tags=[{"Key": "VolumeTag", "Value": "v"}])
    assert ec2.create_snapshot(VolumeId=volume_id)["State"] == "completed"  # completed at once
    made = ec2.create_snapshots(InstanceSpecification={"InstanceId": instance_id}, CopyTagsFromSource="volume",
                                TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "IncidentTicket", "Value": "INC-1"}]}])["Snapshots"]
    assert made[0]["State"] == "completed"  # moto's CreateSnapshots answer lacks State: corrected (tests/lab/test_lab_snapshots.py)
    tags = {t["Key"] for t in ec2.describe_snapshots(SnapshotIds=[made[0]["SnapshotId"]])["Snapshots"][0]["Tags"]}
    assert tags == {"IncidentTicket"}  # TagSpecifications applied, CopyTagsFromSource ignored
    others = ec2.describe_snapshots(OwnerIds=["999999999999"])["Snapshots"]
    assert made[0]["SnapshotId"] in {s["SnapshotId"] for s in others}  # OwnerIds ignored


def test_snapshot_sharing_forms(aws, launch):
    ec2 = aws("ec2")
    volume_id = _instance(ec2, launch()[0])["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission", CreateVolumePermission={"Add": [{"UserId": "111122223333"}]})
    permissions = ec2.describe_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission")["CreateVolumePermissions"]
    assert permissions == []  # the Add form is ignored
    ec2.modify_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission", OperationType="add", UserIds=["111122223333"])
    permissions = ec2.describe_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission")["CreateVolumePermissions"]
    assert permissions == [{"UserId": "111122223333"}]


def test_interface_groups_vpc_endpoints_and_identity(aws, scene):
    ec2 = aws("ec2")
    instance = _instance(ec2, scene["compromised_instance_id"])
    interface_id = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
    quarantine = ec2.create_security_group(GroupName="quarantine", Description="q", VpcId=scene["vpc_id"])["GroupId"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=interface_id, Groups=[quarantine])
    assert [g["GroupId"] for g in ec2.describe_network_interfaces(NetworkInterfaceIds=[interface_id])["NetworkInterfaces"][0]["Groups"]] == [quarantine]
    assert [g["GroupId"] for g in _instance(ec2, instance["InstanceId"])["SecurityGroups"]] == [quarantine]
    ec2.modify_instance_attribute(InstanceId=instance["InstanceId"], Groups=[scene["web_sg_id"]])
    assert [g["GroupId"] for g in ec2.describe_network_interfaces(NetworkInterfaceIds=[interface_id])["NetworkInterfaces"][0]["Groups"]] == [scene["web_sg_id"]]
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []
    ec2.create_vpc_endpoint(VpcId=scene["vpc_id"], ServiceName="com.amazonaws.us-east-1.ssm", VpcEndpointType="Interface", SubnetIds=scene["subnet_ids"])
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [scene["vpc_id"]]}])["VpcEndpoints"]
    assert [(e["ServiceName"], e["VpcEndpointType"]) for e in endpoints] == [("com.amazonaws.us-east-1.ssm", "Interface")]
    assert aws("sts").get_caller_identity()["Account"] == "123456789012"


def test_protection_attributes(aws, launch):
    ec2 = aws("ec2")
    instance_id = launch()[0]
    ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiTermination={"Value": True})
    ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiStop={"Value": True})
    assert ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="disableApiStop")["DisableApiStop"]["Value"] is True
    assert _code(lambda: ec2.terminate_instances(InstanceIds=[instance_id])) == "OperationNotPermitted"


def test_object_lock_and_checksums(aws, scene):
    s3, bucket, body = aws("s3"), scene["bucket"], b"volatile evidence"
    until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    put = s3.put_object(Bucket=bucket, Key="e/1", Body=body, ChecksumAlgorithm="SHA256", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
    expected = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert put["ChecksumSHA256"] == expected
    assert s3.head_object(Bucket=bucket, Key="e/1", ChecksumMode="ENABLED")["ChecksumSHA256"] == expected
    assert s3.get_object_attributes(Bucket=bucket, Key="e/1", ObjectAttributes=["Checksum"])["Checksum"]["ChecksumSHA256"] == expected
    assert _code(lambda: s3.delete_object(Bucket=bucket, Key="e/1", VersionId=put["VersionId"])) == "AccessDenied"


def test_object_lock_put_without_checksum(lab, scene):
    s3 = boto3.client("s3", endpoint_url=lab.endpoint_url, region_name="us-east-1",
                      config=Config(request_checksum_calculation="when_required", retries={"total_max_attempts": 1}))
    until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    # AWS answers InvalidRequest; moto uses its own code.
    assert _code(lambda: s3.put_object(Bucket=scene["bucket"], Key="e/2", Body=b"x", ObjectLockMode="GOVERNANCE",
                                       ObjectLockRetainUntilDate=until)) == "MissingUploadObjectWithObjectLockHeaders"


# --- corrections ---

def test_get_object_retention(aws):
    # A bucket of its own: the scene's has a default retention, which every new object would get.
    s3, bucket = aws("s3"), "retention-facts"
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    until = datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc)
    s3.put_object(Bucket=bucket, Key="locked", Body=b"x", ChecksumAlgorithm="SHA256", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until)
    retention = s3.get_object_retention(Bucket=bucket, Key="locked")["Retention"]
    assert retention["Mode"] == "COMPLIANCE" and retention["RetainUntilDate"] == until
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x", ChecksumAlgorithm="SHA256")
    assert _code(lambda: s3.get_object_retention(Bucket=bucket, Key="plain")) == "NoSuchObjectLockConfiguration"


def test_object_lock_configuration_names_only_the_period_given(aws):
    s3 = aws("s3")
    for bucket, period in (("lock-days", {"Days": 365}), ("lock-years", {"Years": 7})):
        s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        rule = {"DefaultRetention": {"Mode": "GOVERNANCE", **period}}
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule})
        assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled", "Rule": rule}
    s3.create_bucket(Bucket="lock-no-rule", ObjectLockEnabledForBucket=True)
    assert s3.get_object_lock_configuration(Bucket="lock-no-rule")["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"}
    s3.create_bucket(Bucket="lock-none")
    assert _code(lambda: s3.get_object_lock_configuration(Bucket="lock-none")) == "ObjectLockConfigurationNotFoundError"


def test_a_conditional_deny_applies_only_to_whom_its_condition_names(aws):
    s3, bucket = aws("s3"), "policy-facts"
    s3.create_bucket(Bucket=bucket)
    arn = f"arn:aws:s3:::{bucket}/*"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "NonTLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": arn, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "NoDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": arn}]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    assert _code(lambda: s3.delete_object(Bucket=bucket, Key="k")) == "403"


def test_groups_on_an_instance_with_two_interfaces(aws, scene):
    ec2 = aws("ec2")
    instance_id = scene["compromised_instance_id"]
    second = ec2.create_network_interface(SubnetId=scene["subnet_ids"][0], Groups=[scene["web_sg_id"]])["NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=second, InstanceId=instance_id, DeviceIndex=1)
    assert _code(lambda: ec2.modify_instance_attribute(InstanceId=instance_id, Groups=[scene["web_sg_id"]])) == "InvalidInstanceID"
    ec2.modify_network_interface_attribute(NetworkInterfaceId=second, Groups=[scene["web_sg_id"]])


def test_unknown_and_foreign_security_groups(aws, scene):
    ec2 = aws("ec2")
    instance = _instance(ec2, scene["compromised_instance_id"])
    interface_id = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
    other_vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    foreign = ec2.create_security_group(GroupName="foreign", Description="f", VpcId=other_vpc)["GroupId"]
    for groups in (["sg-0123456789abcdef0"], [foreign]):
        assert _code(lambda g=groups: ec2.modify_instance_attribute(InstanceId=instance["InstanceId"], Groups=g)) == "InvalidGroup.NotFound"
        assert _code(lambda g=groups: ec2.modify_network_interface_attribute(NetworkInterfaceId=interface_id, Groups=g)) == "InvalidGroup.NotFound"
    assert [g["GroupId"] for g in _instance(ec2, instance["InstanceId"])["SecurityGroups"]] == [scene["web_sg_id"]]


def test_spot_instances_refuse_termination_protection(aws):
    ec2 = aws("ec2")
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"][0]["ImageId"]
    spot = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceMarketOptions={"MarketType": "spot"})["Instances"][0]["InstanceId"]
    assert _code(lambda: ec2.modify_instance_attribute(InstanceId=spot, DisableApiTermination={"Value": True})) == "UnsupportedOperation"
    assert _code(lambda: ec2.modify_instance_attribute(InstanceId=spot, Attribute="disableApiTermination", Value="true")) == "UnsupportedOperation"


def test_tag_rules(aws, launch):
    ec2 = aws("ec2")
    instance_id = launch()[0]
    for tag in ({"Key": "aws:owner", "Value": "x"}, {"Key": "k" * 129, "Value": "x"}, {"Key": "k", "Value": "v" * 257}):
        assert _code(lambda t=tag: ec2.create_tags(Resources=[instance_id], Tags=[t])) == "InvalidParameterValue"
    assert _code(lambda: ec2.create_tags(Resources=[instance_id], Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])) == "TagLimitExceeded"
    ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "k" * 128, "Value": "v" * 256}])


def test_detach_instances(aws, scene):
    asg, elbv2 = aws("autoscaling"), aws("elbv2")
    compromised = scene["compromised_instance_id"]
    aws("ec2").modify_instance_attribute(InstanceId=compromised, DisableApiTermination={"Value": True})
    assert _code(lambda: asg.detach_instances(AutoScalingGroupName="web-asg", InstanceIds=scene["instance_ids"],
                                              ShouldDecrementDesiredCapacity=True)) == "ValidationError"  # desired 2 -> 0 < min 1
    asg.detach_instances(AutoScalingGroupName="web-asg", InstanceIds=[compromised], ShouldDecrementDesiredCapacity=True)
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 1 and [i["InstanceId"] for i in group["Instances"]] != [compromised]
    targets = elbv2.describe_target_health(TargetGroupArn=scene["target_group_arn"])["TargetHealthDescriptions"]
    # Deregistered by the detach: draining for the group's deregistration delay, as any deregistered target.
    assert [t["TargetHealth"]["State"] for t in targets if t["Target"]["Id"] == compromised] == ["draining"]
    assert compromised not in [i["InstanceId"] for i in aws("elb").describe_load_balancers()["LoadBalancerDescriptions"][0]["Instances"]]
    assert _code(lambda: asg.detach_instances(AutoScalingGroupName="web-asg", InstanceIds=[compromised],
                                              ShouldDecrementDesiredCapacity=True)) == "ValidationError"  # detached twice
    assert _code(lambda: asg.detach_instances(AutoScalingGroupName="no-such-group", InstanceIds=[compromised],
                                              ShouldDecrementDesiredCapacity=False)) == "ValidationError"


def test_deregister_targets_needs_the_registered_port(aws, scene):
    elbv2, target_group = aws("elbv2"), scene["target_group_arn"]
    compromised = scene["compromised_instance_id"]
    elbv2.register_targets(TargetGroupArn=target_group, Targets=[{"Id": compromised, "Port": 8080}])

    def registered():
        return sorted((t["Target"]["Id"], t["Target"]["Port"]) for t in elbv2.describe_target_health(TargetGroupArn=target_group)["TargetHealthDescriptions"]
                      if t["TargetHealth"]["State"] not in ("unused", "draining"))

    before = registered()
    elbv2.deregister_targets(TargetGroupArn=target_group, Targets=[{"Id": compromised}])  # port override not named: nothing happens
    assert registered() == before
    elbv2.deregister_targets(TargetGroupArn=target_group, Targets=[{"Id": "i-0123456789abcdef0", "Port": 80}])  # unknown: success
    elbv2.deregister_targets(TargetGroupArn=target_group, Targets=[{"Id": compromised, "Port": 8080}])
    assert compromised not in [target for target, _port in registered()]


def test_every_ec2_answer_has_a_request_id_of_its_own(aws, scene):
    # moto answers every EC2 call with the request id "request-id"; AWS gives each request its own.
    ec2 = aws("ec2")
    instance_id = scene["compromised_instance_id"]
    answers = [ec2.describe_vpcs(), ec2.describe_instances(), ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "k", "Value": "v"}])]
    ids = [a["ResponseMetadata"]["RequestId"] for a in answers]
    assert len(set(ids)) == 3 and "request-id" not in ids


def test_detach_instances_removes_a_directly_registered_instance_from_the_group_classic_load_balancers(aws, scene):
    # AWS keeps one registration per instance and load balancer: registering an instance the group already
    # registered changes nothing, and DetachInstances deregisters it from the group's classic load balancers.
    elb = aws("elb")
    compromised = scene["compromised_instance_id"]
    elb.register_instances_with_load_balancer(LoadBalancerName=scene["clb_name"], Instances=[{"InstanceId": compromised}])
    listed = [i["InstanceId"] for i in elb.describe_load_balancers(LoadBalancerNames=[scene["clb_name"]])["LoadBalancerDescriptions"][0]["Instances"]]
    assert listed.count(compromised) == 1
    aws("autoscaling").detach_instances(AutoScalingGroupName=scene["asg_name"], InstanceIds=[compromised], ShouldDecrementDesiredCapacity=True)
    listed = [i["InstanceId"] for i in elb.describe_load_balancers(LoadBalancerNames=[scene["clb_name"]])["LoadBalancerDescriptions"][0]["Instances"]]
    assert compromised not in listed and scene["instance_ids"][1] in listed
