"""Scenes: AWS estates built in a running lab through its public API, as a person would build them.

Every call here is an ordinary request to the lab; the request log is cleared at the end so that
a test or demo starts counting from zero.
"""
import os
from types import SimpleNamespace

import boto3

from lab.control_client import control

TICKET_TAG = "IncidentTicket"
VPC_CIDR = "10.20.0.0/16"
SUBNET_CIDRS = ("10.20.1.0/24", "10.20.2.0/24")
ROLE_NAME = "web-server-role"
PROFILE_NAME = "web-server-profile"
LAUNCH_TEMPLATE = "web-lt"
ASG_NAME = "web-asg"
CLB_NAME = "web-clb"
ALB_NAME = "web-alb"
TARGET_GROUP = "web-tg"
# The multi-VPC estate: a data VPC reached through a second interface, an NLB with an IP target group.
DATA_VPC_CIDR = "10.30.0.0/16"
DATA_SUBNET_CIDR = "10.30.1.0/24"
NLB_NAME = "web-nlb"
IP_TARGET_GROUP = "web-ip-tg"
IP_TARGET_PORT = 8443
SSM_ENDPOINT_SERVICES = ("ssm", "ssmmessages", "ec2messages")
# Root 8 GiB + data 20 GiB, deleted with the instance, as a disposable web tier is usually built.
BLOCK_DEVICES = [
    {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "VolumeType": "gp3", "DeleteOnTermination": True}},
    {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 20, "VolumeType": "gp3", "DeleteOnTermination": True}},
]
_TRUST = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
          '"Action":"sts:AssumeRole"}]}')
# What the SSM Agent needs, the output upload, and reading the memory upload plan (secops.aws_ir's parameters).
_ROLE_POLICY = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:UpdateInstanceInformation",'
                '"ssmmessages:*","ec2messages:*","s3:PutObject","s3:GetEncryptionConfiguration"],"Resource":"*"},'
                '{"Effect":"Allow","Action":"ssm:GetParameters","Resource":"arn:aws:ssm:*:*:parameter/secops/aws_ir/*"}]}')
_ATTACH_BATCH = 20  # AttachInstances takes at most 20 instance ids


def clients(endpoint_url, region):
    """boto3 clients for the lab; dummy credentials from the environment (or 'testing')."""
    session = boto3.session.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        aws_session_token=os.environ.get("AWS_SESSION_TOKEN"),
        region_name=region,
    )
    names = ("ec2", "autoscaling", "elb", "elbv2", "iam", "s3", "sts")
    return SimpleNamespace(**{name: session.client(name, endpoint_url=endpoint_url) for name in names})


def _network(aws, region):
    vpc_id = aws.ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
    subnet_ids = [
        aws.ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=region + zone)["Subnet"]["SubnetId"]
        for cidr, zone in zip(SUBNET_CIDRS, "ab")
    ]
    sg_id = aws.ec2.create_security_group(GroupName="web-sg", Description="web tier", VpcId=vpc_id)["GroupId"]
    aws.ec2.authorize_security_group_ingress(GroupId=sg_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for port in (22, 80, 443)
    ])
    return vpc_id, subnet_ids, sg_id


def _instance_profile(aws):
    aws.iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=_TRUST)
    aws.iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="ssm-agent-and-output", PolicyDocument=_ROLE_POLICY)
    profile = aws.iam.create_instance_profile(InstanceProfileName=PROFILE_NAME)["InstanceProfile"]
    aws.iam.add_role_to_instance_profile(InstanceProfileName=PROFILE_NAME, RoleName=ROLE_NAME)
    return profile["Arn"]


def _amazon_linux_ami(aws):
    images = aws.ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"]
    return sorted(images, key=lambda image: image["Name"])[0]["ImageId"]


def _launch_template(aws, sg_id):
    aws.ec2.create_launch_template(LaunchTemplateName=LAUNCH_TEMPLATE, LaunchTemplateData={
        "ImageId": _amazon_linux_ami(aws),
        "InstanceType": "t3.micro",
        "BlockDeviceMappings": BLOCK_DEVICES,
        "IamInstanceProfile": {"Name": PROFILE_NAME},
        "SecurityGroupIds": [sg_id],
    })


def _load_balancers(aws, vpc_id, subnet_ids, sg_id):
    aws.elb.create_load_balancer(LoadBalancerName=CLB_NAME, Subnets=subnet_ids, SecurityGroups=[sg_id],
                                 Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 80}])
    alb_arn = aws.elbv2.create_load_balancer(Name=ALB_NAME, Subnets=subnet_ids, SecurityGroups=[sg_id])["LoadBalancers"][0]["LoadBalancerArn"]
    tg_arn = aws.elbv2.create_target_group(Name=TARGET_GROUP, Protocol="HTTP", Port=80, VpcId=vpc_id,
                                           TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    aws.elbv2.create_listener(LoadBalancerArn=alb_arn, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
    return alb_arn, tg_arn


def _launch(aws, subnet_ids, total, spot=False):
    """Launch ``total`` instances (Spot ones if ``spot``) from the template, alternating subnets, one RunInstances per subnet.

    moto puts every instance an Auto Scaling group launches into its first subnet and gives each an
    extra 8 GiB /dev/sda1 volume; launching here (with the template's block devices passed again)
    and attaching to the group gives the layout AWS would produce.
    """
    instance_ids = []
    market = {"InstanceMarketOptions": {"MarketType": "spot"}} if spot else {}
    for index, subnet_id in enumerate(subnet_ids):
        count = len(range(index, total, len(subnet_ids)))
        if count:
            reservation = aws.ec2.run_instances(LaunchTemplate={"LaunchTemplateName": LAUNCH_TEMPLATE}, MinCount=count, MaxCount=count,
                                                SubnetId=subnet_id, BlockDeviceMappings=BLOCK_DEVICES,
                                                IamInstanceProfile={"Name": PROFILE_NAME}, **market)
            instance_ids += [instance["InstanceId"] for instance in reservation["Instances"]]
    return instance_ids


def _auto_scaling_group(aws, subnet_ids, tg_arn, instance_ids):
    """An Auto Scaling group (min 1) behind both load balancers that holds exactly these instances."""
    aws.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=ASG_NAME, LaunchTemplate={"LaunchTemplateName": LAUNCH_TEMPLATE, "Version": "$Latest"},
        MinSize=0, MaxSize=max(4, len(instance_ids)), DesiredCapacity=0, VPCZoneIdentifier=",".join(subnet_ids),
        LoadBalancerNames=[CLB_NAME], TargetGroupARNs=[tg_arn], HealthCheckType="ELB", HealthCheckGracePeriod=300)
    for start in range(0, len(instance_ids), _ATTACH_BATCH):
        # Attaching raises the desired capacity by one per instance and registers it with both load balancers.
        aws.autoscaling.attach_instances(AutoScalingGroupName=ASG_NAME, InstanceIds=instance_ids[start:start + _ATTACH_BATCH])
    aws.autoscaling.update_auto_scaling_group(AutoScalingGroupName=ASG_NAME, MinSize=1)


def _evidence_bucket(aws, region, account):
    bucket = f"aws-ir-evidence-{account}-{region}"
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    aws.s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True, **location)
    # A default retention is what locks the command output the SSM Agent uploads (it cannot ask for one).
    aws.s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 365}}})
    aws.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    aws.s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    return bucket


def _volumes_by_instance(aws, instance_ids):
    volumes = {instance_id: [] for instance_id in instance_ids}
    pages = aws.ec2.get_paginator("describe_volumes").paginate(Filters=[{"Name": "attachment.instance-id", "Values": instance_ids}])
    for page in pages:
        for volume in page["Volumes"]:
            for attachment in volume["Attachments"]:
                volumes[attachment["InstanceId"]].append(volume["VolumeId"])
    return volumes


def _infrastructure(aws, region):
    """Network, role, launch template and load balancers: everything but the instances."""
    vpc_id, subnet_ids, sg_id = _network(aws, region)
    profile_arn = _instance_profile(aws)
    _launch_template(aws, sg_id)
    alb_arn, tg_arn = _load_balancers(aws, vpc_id, subnet_ids, sg_id)
    return {
        "region": region, "vpc_id": vpc_id, "subnet_ids": subnet_ids, "web_sg_id": sg_id, "launch_template_name": LAUNCH_TEMPLATE,
        "asg_name": ASG_NAME, "clb_name": CLB_NAME, "alb_arn": alb_arn, "target_group_arn": tg_arn,
        "instance_profile_arn": profile_arn, "role_name": ROLE_NAME,
    }


def _build(endpoint_url, region, ticket, total, compromised, spot=False):
    """(clients, scene) of ``total`` instances in the group, the first ``compromised`` of them compromised."""
    aws = clients(endpoint_url, region)
    account = aws.sts.get_caller_identity()["Account"]
    scene = {**_infrastructure(aws, region), "account_id": account, "ticket": ticket}
    instance_ids = _launch(aws, scene["subnet_ids"], total, spot=spot)
    _auto_scaling_group(aws, scene["subnet_ids"], scene["target_group_arn"], instance_ids)
    scene.update({
        "instance_ids": instance_ids, "compromised_instance_ids": instance_ids[:compromised], "compromised_instance_id": instance_ids[0],
        "volume_ids": _volumes_by_instance(aws, instance_ids), "bucket": _evidence_bucket(aws, region, account),
    })
    return aws, scene


def _demo(endpoint_url, region, ticket):
    """(clients, scene) of the demo estate: web-1 (compromised, tagged with the ticket) and web-2."""
    aws, scene = _build(endpoint_url, region, ticket, total=2, compromised=1)
    first, second = scene["instance_ids"]
    aws.ec2.create_tags(Resources=[first], Tags=[{"Key": "Name", "Value": "web-1"}, {"Key": TICKET_TAG, "Value": ticket}])
    aws.ec2.create_tags(Resources=[second], Tags=[{"Key": "Name", "Value": "web-2"}])
    return aws, scene


def build_demo_scene(endpoint_url, region="us-east-1", ticket="INC-123456"):
    """Two web servers in an Auto Scaling group behind a CLB and an ALB; the first is compromised (tagged with the ticket)."""
    _aws, scene = _demo(endpoint_url, region, ticket)
    control(endpoint_url, "POST", "requests/clear")
    return scene


def build_fleet_scene(endpoint_url, count, region="us-east-1", ticket="INC-123456"):
    """``count`` compromised web servers (tagged with the ticket) plus one clean one, in one group behind both load balancers."""
    aws, scene = _build(endpoint_url, region, ticket, total=count + 1, compromised=count)
    aws.ec2.create_tags(Resources=scene["instance_ids"], Tags=[{"Key": "Name", "Value": "web-fleet"}])
    aws.ec2.create_tags(Resources=scene["compromised_instance_ids"], Tags=[{"Key": TICKET_TAG, "Value": ticket}])
    control(endpoint_url, "POST", "requests/clear")
    return scene


def build_spot_scene(endpoint_url, region="us-east-1", ticket="INC-123456"):
    """One Spot web server, alone in its Auto Scaling group (min = desired = 1), behind the CLB and the ALB; tagged with the ticket."""
    aws, scene = _build(endpoint_url, region, ticket, total=1, compromised=1, spot=True)
    aws.ec2.create_tags(Resources=scene["instance_ids"], Tags=[{"Key": "Name", "Value": "web-spot"}, {"Key": TICKET_TAG, "Value": ticket}])
    control(endpoint_url, "POST", "requests/clear")
    return scene


def _ssm_endpoints(aws, region, vpc_id, subnet_ids):
    """Interface endpoints for ssm, ssmmessages and ec2messages (private DNS) behind one group, and the S3 gateway endpoint.

    Returns (endpoint group id, S3 prefix list id).
    """
    group_id = aws.ec2.create_security_group(GroupName="vpce-sg", Description="SSM endpoints", VpcId=vpc_id)["GroupId"]
    aws.ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": VPC_CIDR}]}])
    for service in SSM_ENDPOINT_SERVICES:
        aws.ec2.create_vpc_endpoint(VpcId=vpc_id, ServiceName=f"com.amazonaws.{region}.{service}", VpcEndpointType="Interface",
                                    SubnetIds=subnet_ids, SecurityGroupIds=[group_id], PrivateDnsEnabled=True)
    main = aws.ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "association.main", "Values": ["true"]}])
    aws.ec2.create_vpc_endpoint(VpcId=vpc_id, ServiceName=f"com.amazonaws.{region}.s3", VpcEndpointType="Gateway",
                                RouteTableIds=[main["RouteTables"][0]["RouteTableId"]])
    lists = aws.ec2.describe_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{region}.s3"]}])
    return group_id, lists["PrefixLists"][0]["PrefixListId"]


def _data_network(aws, zone):
    """The data VPC: one subnet whose route table sends 0.0.0.0/0 to a NAT gateway and 10.0.0.0/8 to a transit gateway.

    Returns the scene entries of the data VPC.
    """
    vpc_id = aws.ec2.create_vpc(CidrBlock=DATA_VPC_CIDR)["Vpc"]["VpcId"]
    subnet_id = aws.ec2.create_subnet(VpcId=vpc_id, CidrBlock=DATA_SUBNET_CIDR, AvailabilityZone=zone)["Subnet"]["SubnetId"]
    group_ids = [aws.ec2.create_security_group(GroupName=name, Description="data tier", VpcId=vpc_id)["GroupId"] for name in ("data-sg", "db-clients-sg")]
    aws.ec2.authorize_security_group_ingress(GroupId=group_ids[0], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": VPC_CIDR}]}])
    nat_allocation = aws.ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat_id = aws.ec2.create_nat_gateway(SubnetId=subnet_id, AllocationId=nat_allocation)["NatGateway"]["NatGatewayId"]
    transit_id = aws.ec2.create_transit_gateway(Description="hub")["TransitGateway"]["TransitGatewayId"]
    table_id = aws.ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    aws.ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
    aws.ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="10.0.0.0/8", TransitGatewayId=transit_id)
    aws.ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
    return {"data_vpc_id": vpc_id, "data_subnet_id": subnet_id, "data_sg_ids": group_ids, "nat_gateway_id": nat_id,
            "transit_gateway_id": transit_id, "data_route_table_id": table_id}


def _ip_target_group(aws, scene, ip, zone):
    """An NLB with an IP target group on IP_TARGET_PORT that holds ip (with its zone); returns (NLB ARN, target group ARN)."""
    nlb_arn = aws.elbv2.create_load_balancer(Name=NLB_NAME, Subnets=scene["subnet_ids"], Type="network")["LoadBalancers"][0]["LoadBalancerArn"]
    tg_arn = aws.elbv2.create_target_group(Name=IP_TARGET_GROUP, Protocol="TCP", Port=IP_TARGET_PORT, VpcId=scene["vpc_id"],
                                           TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    aws.elbv2.create_listener(LoadBalancerArn=nlb_arn, Protocol="TCP", Port=IP_TARGET_PORT, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
    aws.elbv2.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": ip, "Port": IP_TARGET_PORT, "AvailabilityZone": zone}])
    return nlb_arn, tg_arn


def build_multi_vpc_scene(endpoint_url, region="us-east-1", ticket="INC-123456"):
    """The demo estate plus a data VPC, with web-1 (compromised) reaching into both.

    The web VPC has interface endpoints for SSM and an S3 gateway endpoint; the data VPC has none,
    and its subnet routes through a NAT gateway and a transit gateway. web-1 has a second network
    interface in the data VPC (groups data-sg and db-clients-sg), an Elastic IP on its primary
    interface, and besides web-tg (instance target, port 80) its primary IP is an IP target of
    web-ip-tg (port 8443, behind the NLB web-nlb).
    """
    aws, scene = _demo(endpoint_url, region, ticket)
    compromised = aws.ec2.describe_instances(InstanceIds=[scene["compromised_instance_id"]])["Reservations"][0]["Instances"][0]
    zone = compromised["Placement"]["AvailabilityZone"]
    primary = compromised["NetworkInterfaces"][0]
    endpoint_sg_id, prefix_list_id = _ssm_endpoints(aws, region, scene["vpc_id"], scene["subnet_ids"])
    scene.update(_data_network(aws, zone), endpoint_sg_id=endpoint_sg_id, s3_prefix_list_id=prefix_list_id,
                 primary_interface_id=primary["NetworkInterfaceId"], primary_private_ip=primary["PrivateIpAddress"])
    secondary = aws.ec2.create_network_interface(SubnetId=scene["data_subnet_id"], Groups=scene["data_sg_ids"])["NetworkInterface"]
    aws.ec2.attach_network_interface(NetworkInterfaceId=secondary["NetworkInterfaceId"], InstanceId=compromised["InstanceId"], DeviceIndex=1)
    allocation = aws.ec2.allocate_address(Domain="vpc")
    aws.ec2.associate_address(AllocationId=allocation["AllocationId"], NetworkInterfaceId=primary["NetworkInterfaceId"],
                              PrivateIpAddress=primary["PrivateIpAddress"])
    scene["nlb_arn"], scene["ip_target_group_arn"] = _ip_target_group(aws, scene, primary["PrivateIpAddress"], zone)
    scene.update(secondary_interface_id=secondary["NetworkInterfaceId"], elastic_ip={
        "allocation_id": allocation["AllocationId"], "public_ip": allocation["PublicIp"]})
    control(endpoint_url, "POST", "requests/clear")
    return scene


def add_ssm_endpoints(endpoint_url, vpc_id, subnet_ids, region="us-east-1"):
    """Add to a VPC of a scene the interface endpoints of SSM and the S3 gateway endpoint; returns (endpoint group id, S3 prefix list id)."""
    found = _ssm_endpoints(clients(endpoint_url, region), region, vpc_id, subnet_ids)
    control(endpoint_url, "POST", "requests/clear")
    return found
