from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import load_balancers

TG_IP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ip/1"
TG_INSTANCE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/2"


def test_targets_match_by_instance_id_or_private_ip_with_their_exact_port(fake_client):
    health = {
        TG_INSTANCE: [{"Target": {"Id": "i-1", "Port": 8080}, "TargetHealth": {"State": "healthy"}},
                      {"Target": {"Id": "i-other", "Port": 8080}, "TargetHealth": {"State": "healthy"}}],
        TG_IP: [{"Target": {"Id": "10.0.1.5", "Port": 9443, "AvailabilityZone": "us-east-1a"}, "TargetHealth": {"State": "healthy"}}],
    }
    client = fake_client(
        describe_target_groups={"TargetGroups": [
            {"TargetGroupArn": TG_INSTANCE, "VpcId": "vpc-1", "TargetType": "instance"},
            {"TargetGroupArn": TG_IP, "VpcId": "vpc-1", "TargetType": "ip"},
            {"TargetGroupArn": "arn:other-vpc", "VpcId": "vpc-2", "TargetType": "instance"},
        ]},
        describe_target_health=lambda p: {"TargetHealthDescriptions": health[p["TargetGroupArn"]]},
    )
    found = load_balancers.read_target_registrations(client, {"i-1": ["10.0.1.5"]}, ["vpc-1"])
    assert [(t["id"], t["port"], t["target_type"]) for t in found["i-1"]] == [("i-1", 8080, "instance"), ("10.0.1.5", 9443, "ip")]
    assert [p["TargetGroupArn"] for n, p in client.calls if n == "describe_target_health"] == [TG_INSTANCE, TG_IP]


def test_deregistration_sends_exact_port_and_availability_zone_only_for_ip_targets(fake_client):
    client = fake_client(deregister_targets={"ResponseMetadata": {"RequestId": "r"}})
    registrations = {"i-1": [
        {"target_group_arn": TG_INSTANCE, "target_type": "instance", "id": "i-1", "port": 8080, "availability_zone": "us-east-1a", "state": "healthy"},
        {"target_group_arn": TG_IP, "target_type": "ip", "id": "10.0.1.5", "port": 9443, "availability_zone": "us-east-1a", "state": "healthy"},
    ]}
    load_balancers.deregister_targets(ActionLog("containment", False), client, registrations)
    assert sorted((p["TargetGroupArn"], tuple(map(tuple, (sorted(t.items()) for t in p["Targets"])))) for _n, p in client.calls) == [
        (TG_IP, ((("AvailabilityZone", "us-east-1a"), ("Id", "10.0.1.5"), ("Port", 9443)),)),
        (TG_INSTANCE, ((("Id", "i-1"), ("Port", 8080)),)),
    ]


def test_classic_elbs_are_read_in_the_instances_vpcs_and_deregistered_once_per_lb(fake_client):
    client = fake_client(
        describe_load_balancers={"LoadBalancerDescriptions": [
            {"LoadBalancerName": "web", "VPCId": "vpc-1", "Instances": [{"InstanceId": "i-1"}, {"InstanceId": "i-2"}, {"InstanceId": "i-9"}]},
            {"LoadBalancerName": "far", "VPCId": "vpc-2", "Instances": [{"InstanceId": "i-1"}]},
        ]},
        deregister_instances_from_load_balancer={"ResponseMetadata": {"RequestId": "r"}},
    )
    found = load_balancers.read_classic_registrations(client, ["i-1", "i-2"], ["vpc-1"])
    assert found == {"i-1": ["web"], "i-2": ["web"]}
    load_balancers.deregister_classic(ActionLog("containment", False), client, found)
    expected = {"LoadBalancerName": "web", "Instances": [{"InstanceId": "i-1"}, {"InstanceId": "i-2"}]}
    assert client.calls[-1] == ("deregister_instances_from_load_balancer", expected)
