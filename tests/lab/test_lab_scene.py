"""The scenes hold what they promise, read back through the AWS API."""
import json

from lab.scene import build_demo_scene, build_fleet_scene, build_multi_vpc_scene, build_spot_scene


def test_demo_scene(lab, aws):
    scene = build_demo_scene(lab.endpoint_url, ticket="INC-123456")
    assert lab.requests() == []
    ec2, asg = aws("ec2"), aws("autoscaling")
    assert ec2.describe_vpcs(VpcIds=[scene["vpc_id"]])["Vpcs"][0]["CidrBlock"] == "10.20.0.0/16"
    zones = {subnet["AvailabilityZone"] for subnet in ec2.describe_subnets(SubnetIds=scene["subnet_ids"])["Subnets"]}
    assert zones == {"us-east-1a", "us-east-1b"}
    group = ec2.describe_security_groups(GroupIds=[scene["web_sg_id"]])["SecurityGroups"][0]
    assert sorted(rule["FromPort"] for rule in group["IpPermissions"]) == [22, 80, 443]
    assert all(rule["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}] for rule in group["IpPermissions"])
    assert group["IpPermissionsEgress"][0]["IpProtocol"] == "-1"
    trust = aws("iam").get_role(RoleName=scene["role_name"])["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    profile = aws("iam").get_instance_profile(InstanceProfileName="web-server-profile")["InstanceProfile"]
    assert profile["Arn"] == scene["instance_profile_arn"] and profile["Roles"][0]["RoleName"] == scene["role_name"]

    auto = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])["AutoScalingGroups"][0]
    assert (auto["MinSize"], auto["MaxSize"], auto["DesiredCapacity"]) == (1, 4, 2)
    assert sorted(i["InstanceId"] for i in auto["Instances"]) == sorted(scene["instance_ids"])
    assert {i["LifecycleState"] for i in auto["Instances"]} == {"InService"}
    assert auto["LoadBalancerNames"] == ["web-clb"] and auto["TargetGroupARNs"] == [scene["target_group_arn"]]

    clb = aws("elb").describe_load_balancers(LoadBalancerNames=["web-clb"])["LoadBalancerDescriptions"][0]
    assert clb["ListenerDescriptions"][0]["Listener"]["LoadBalancerPort"] == 80
    assert sorted(i["InstanceId"] for i in clb["Instances"]) == sorted(scene["instance_ids"])
    targets = aws("elbv2").describe_target_health(TargetGroupArn=scene["target_group_arn"])["TargetHealthDescriptions"]
    assert sorted((t["Target"]["Id"], t["Target"]["Port"]) for t in targets) == sorted((i, 80) for i in scene["instance_ids"])
    assert aws("elbv2").describe_load_balancers(LoadBalancerArns=[scene["alb_arn"]])["LoadBalancers"][0]["Type"] == "application"

    instances = {i["InstanceId"]: i for r in ec2.describe_instances(InstanceIds=scene["instance_ids"])["Reservations"] for i in r["Instances"]}
    assert {i["SubnetId"] for i in instances.values()} == set(scene["subnet_ids"])
    compromised = instances[scene["compromised_instance_id"]]
    tags = {t["Key"]: t["Value"] for t in compromised["Tags"]}
    assert tags["Name"] == "web-1" and tags["IncidentTicket"] == "INC-123456" and tags["aws:autoscaling:groupName"] == "web-asg"
    assert compromised["InstanceType"] == "t3.micro" and compromised["IamInstanceProfile"]["Arn"] == scene["instance_profile_arn"]
    for instance_id, volume_ids in scene["volume_ids"].items():
        volumes = ec2.describe_volumes(VolumeIds=volume_ids)["Volumes"]
        assert sorted((v["Attachments"][0]["Device"], v["Size"]) for v in volumes) == [("/dev/sdf", 20), ("/dev/xvda", 8)]
        assert all(v["Attachments"][0]["InstanceId"] == instance_id for v in volumes)

    s3 = aws("s3")
    lock = s3.get_object_lock_configuration(Bucket=scene["bucket"])["ObjectLockConfiguration"]
    retention = lock["Rule"]["DefaultRetention"]
    assert lock["ObjectLockEnabled"] == "Enabled" and (retention["Mode"], retention["Days"]) == ("GOVERNANCE", 365)
    assert s3.get_bucket_versioning(Bucket=scene["bucket"])["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=scene["bucket"])["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert scene["bucket"] == "aws-ir-evidence-123456789012-us-east-1"


def test_fleet_scene_of_50(lab, aws):
    scene = build_fleet_scene(lab.endpoint_url, 50)
    assert lab.requests() == []
    auto = aws("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])["AutoScalingGroups"][0]
    assert (auto["MinSize"], auto["DesiredCapacity"], len(auto["Instances"])) == (1, 51, 51)
    tagged = aws("ec2").describe_instances(Filters=[{"Name": "tag:IncidentTicket", "Values": ["INC-123456"]}])["Reservations"]
    assert sorted(i["InstanceId"] for r in tagged for i in r["Instances"]) == sorted(scene["compromised_instance_ids"])
    assert len(scene["compromised_instance_ids"]) == 50 and all(len(v) == 2 for v in scene["volume_ids"].values())
    assert len(aws("ssm").describe_instance_information(MaxResults=50)["InstanceInformationList"]) == 50


def test_multi_vpc_scene(lab, aws):
    scene = build_multi_vpc_scene(lab.endpoint_url)
    assert lab.requests() == []
    ec2, elbv2 = aws("ec2"), aws("elbv2")
    instance = ec2.describe_instances(InstanceIds=[scene["compromised_instance_id"]])["Reservations"][0]["Instances"][0]
    interfaces = {n["Attachment"]["DeviceIndex"]: n for n in instance["NetworkInterfaces"]}
    assert (interfaces[0]["VpcId"], interfaces[1]["VpcId"]) == (scene["vpc_id"], scene["data_vpc_id"])
    assert [g["GroupId"] for g in interfaces[1]["Groups"]] == scene["data_sg_ids"]
    assert interfaces[0]["Association"]["PublicIp"] == scene["elastic_ip"]["public_ip"]
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [scene["vpc_id"]]}])["VpcEndpoints"]
    assert sorted((e["ServiceName"].rsplit(".", 1)[-1], e["VpcEndpointType"]) for e in endpoints) == [
        ("ec2messages", "Interface"), ("s3", "Gateway"), ("ssm", "Interface"), ("ssmmessages", "Interface")]
    assert all(e["PrivateDnsEnabled"] and e["Groups"][0]["GroupId"] == scene["endpoint_sg_id"] for e in endpoints if e["VpcEndpointType"] == "Interface")
    assert ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [scene["data_vpc_id"]]}])["VpcEndpoints"] == []
    table = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [scene["data_subnet_id"]]}])["RouteTables"][0]
    assert {r.get("NatGatewayId") or r.get("TransitGatewayId") for r in table["Routes"]} >= {scene["nat_gateway_id"], scene["transit_gateway_id"]}
    ip_targets = elbv2.describe_target_health(TargetGroupArn=scene["ip_target_group_arn"])["TargetHealthDescriptions"]
    assert [(t["Target"]["Id"], t["Target"]["Port"], t["Target"]["AvailabilityZone"]) for t in ip_targets] == [
        (scene["primary_private_ip"], 8443, instance["Placement"]["AvailabilityZone"])]
    web_targets = elbv2.describe_target_health(TargetGroupArn=scene["target_group_arn"])["TargetHealthDescriptions"]
    assert (scene["compromised_instance_id"], 80) in [(t["Target"]["Id"], t["Target"]["Port"]) for t in web_targets]
    assert elbv2.describe_load_balancers(LoadBalancerArns=[scene["nlb_arn"]])["LoadBalancers"][0]["Type"] == "network"


def test_spot_scene(lab, aws):
    scene = build_spot_scene(lab.endpoint_url, ticket="INC-9")
    instance = aws("ec2").describe_instances(InstanceIds=scene["instance_ids"])["Reservations"][0]["Instances"][0]
    assert instance["InstanceLifecycle"] == "spot" and {"Key": "IncidentTicket", "Value": "INC-9"} in instance["Tags"]
    group = aws("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])["AutoScalingGroups"][0]
    assert (group["MinSize"], group["DesiredCapacity"], [i["InstanceId"] for i in group["Instances"]]) == (1, 1, scene["instance_ids"])
