"""What moto does, and what the lab corrects, for the calls containment and release make (lab/README.md lists each)."""
import pytest

from lab.scene import build_demo_scene, build_multi_vpc_scene
from tests.lab.conftest import describe_instance as _instance
from tests.lab.conftest import error_code as _code


@pytest.fixture
def scene(lab):
    return build_demo_scene(lab.endpoint_url)


# --- moto facts (not corrected) ---

def test_instance_profile_and_addresses_are_read_from_their_own_apis(aws, scene):
    ec2, iam = aws("ec2"), aws("iam")
    instance_id = scene["compromised_instance_id"]
    iam.create_instance_profile(InstanceProfileName="forensic")
    by_instance = [{"Name": "instance-id", "Values": [instance_id]}]
    association = ec2.describe_iam_instance_profile_associations(Filters=by_instance)["IamInstanceProfileAssociations"][0]
    assert association["IamInstanceProfile"]["Arn"] == scene["instance_profile_arn"]  # RunInstances with a profile makes an association
    ec2.replace_iam_instance_profile_association(AssociationId=association["AssociationId"], IamInstanceProfile={"Name": "forensic"})
    now = ec2.describe_iam_instance_profile_associations(Filters=by_instance)["IamInstanceProfileAssociations"][0]
    assert now["IamInstanceProfile"]["Arn"].endswith("/forensic")
    assert _instance(ec2, instance_id)["IamInstanceProfile"]["Arn"] == scene["instance_profile_arn"]  # DescribeInstances is stale in moto
    interface_id = _instance(ec2, instance_id)["NetworkInterfaces"][0]["NetworkInterfaceId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=interface_id)
    assert ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": [instance_id]}])["Addresses"] == []  # AWS would list it
    by_interface = ec2.describe_addresses(Filters=[{"Name": "network-interface-id", "Values": [interface_id]}])["Addresses"]
    assert [a["AllocationId"] for a in by_interface] == [allocation]


def test_network_load_balancer_arns_say_app(aws, scene):
    nlb = aws("elbv2").create_load_balancer(Name="nlb", Subnets=scene["subnet_ids"], Type="network")["LoadBalancers"][0]
    assert nlb["Type"] == "network" and ":loadbalancer/app/nlb/" in nlb["LoadBalancerArn"]  # AWS: loadbalancer/net/


def test_group_and_rule_conflicts_carry_the_ec2_error_codes(aws, scene):
    # Two runs in one VPC at once meet these; containment counts each as "the other run did it" (EC2 API error codes).
    ec2 = aws("ec2")
    group = ec2.create_security_group(GroupName="aws-ir-quarantine", Description="q", VpcId=scene["vpc_id"])["GroupId"]
    https = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    assert _code(lambda: ec2.create_security_group(GroupName="aws-ir-quarantine", Description="q", VpcId=scene["vpc_id"])) == "InvalidGroup.Duplicate"
    ec2.authorize_security_group_egress(GroupId=group, IpPermissions=https)
    assert _code(lambda: ec2.authorize_security_group_egress(GroupId=group, IpPermissions=https)) == "InvalidPermission.Duplicate"
    ec2.revoke_security_group_egress(GroupId=group, IpPermissions=https)
    assert _code(lambda: ec2.revoke_security_group_egress(GroupId=group, IpPermissions=https)) == "InvalidPermission.NotFound"


# --- corrections ---


def test_a_secondary_interface_shows_its_own_groups(aws, scene):
    ec2 = aws("ec2")
    instance_id = scene["compromised_instance_id"]
    db = ec2.create_security_group(GroupName="db", Description="db", VpcId=scene["vpc_id"])["GroupId"]
    second = ec2.create_network_interface(SubnetId=scene["subnet_ids"][0], Groups=[db])["NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=second, InstanceId=instance_id, DeviceIndex=1)

    def groups():
        interfaces = _instance(ec2, instance_id)["NetworkInterfaces"]
        return {n["Attachment"]["DeviceIndex"]: [g["GroupId"] for g in n["Groups"]] for n in interfaces}

    assert groups() == {0: [scene["web_sg_id"]], 1: [db]}  # moto showed [web-sg, db] on the second
    ec2.modify_network_interface_attribute(NetworkInterfaceId=second, Groups=[scene["web_sg_id"]])
    assert groups() == {0: [scene["web_sg_id"]], 1: [scene["web_sg_id"]]}
    primary = _instance(ec2, instance_id)["NetworkInterfaces"][0]["NetworkInterfaceId"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=primary, Groups=[db])
    assert groups() == {0: [db], 1: [scene["web_sg_id"]]}
    assert [g["GroupId"] for g in _instance(ec2, instance_id)["SecurityGroups"]] == [db]


def test_ip_targets_keep_their_zone_and_deregistered_targets_drain(aws, lab):
    scene = build_multi_vpc_scene(lab.endpoint_url)
    elbv2, target_group, ip = aws("elbv2"), scene["ip_target_group_arn"], scene["primary_private_ip"]

    def health(**kwargs):
        return [(d["Target"]["Id"], d["Target"]["Port"], d["Target"].get("AvailabilityZone"), d["TargetHealth"]["State"])
                for d in elbv2.describe_target_health(TargetGroupArn=target_group, **kwargs)["TargetHealthDescriptions"]]

    assert health() == [(ip, 8443, "us-east-1a", "healthy")]
    elbv2.deregister_targets(TargetGroupArn=target_group, Targets=[{"Id": ip, "Port": 8443, "AvailabilityZone": "us-east-1a"}])
    assert health() == [(ip, 8443, "us-east-1a", "draining")]
    assert health(Targets=[{"Id": ip, "Port": 8443}, {"Id": "10.20.2.9", "Port": 8443}]) == [
        (ip, 8443, "us-east-1a", "draining"), ("10.20.2.9", 8443, None, "unused")]
    elbv2.register_targets(TargetGroupArn=target_group, Targets=[{"Id": ip, "Port": 8443}])  # no zone given: detected from the subnet
    assert health() == [(ip, 8443, "us-east-1a", "healthy")]
    elbv2.modify_target_group_attributes(TargetGroupArn=target_group, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "0"}])
    elbv2.deregister_targets(TargetGroupArn=target_group, Targets=[{"Id": ip, "Port": 8443}])
    assert health() == [] and health(Targets=[{"Id": ip, "Port": 8443}]) == [(ip, 8443, None, "unused")]


def test_lifecycle_states_from_the_lab_tag_and_detach_refuses_them(aws, scene):
    ec2, asg = aws("ec2"), aws("autoscaling")
    compromised = scene["compromised_instance_id"]
    ec2.create_tags(Resources=[compromised], Tags=[{"Key": "lab:asg-lifecycle-state", "Value": "Pending:Wait"}])
    assert asg.describe_auto_scaling_instances(InstanceIds=[compromised])["AutoScalingInstances"][0]["LifecycleState"] == "Pending:Wait"
    assert _code(lambda: asg.detach_instances(AutoScalingGroupName="web-asg", InstanceIds=[compromised],
                                              ShouldDecrementDesiredCapacity=True)) == "ValidationError"
