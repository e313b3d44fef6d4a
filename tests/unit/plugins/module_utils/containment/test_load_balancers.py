import pytest

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.secops.aws_ir.plugins.module_utils import retry
from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import load_balancers
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import DEFAULT_RETRY

TG_IP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ip/1"
TG_INSTANCE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/2"


def test_targets_match_by_instance_id_or_private_ip_with_their_exact_port(fake_client):
    health = {
        TG_INSTANCE: [{"Target": {"Id": "i-1", "Port": 8080}, "TargetHealth": {"State": "healthy"}},
                      {"Target": {"Id": "i-other", "Port": 8080}, "TargetHealth": {"State": "healthy"}},
                      # Deregistered a moment ago: not a registration any more.
                      {"Target": {"Id": "i-1", "Port": 80}, "TargetHealth": {"State": "draining"}}],
        TG_IP: [{"Target": {"Id": "10.0.1.5", "Port": 9443, "AvailabilityZone": "us-east-1a"}, "TargetHealth": {"State": "healthy"}}],
    }
    client = fake_client(
        describe_target_groups={"TargetGroups": [
            {"TargetGroupArn": TG_INSTANCE, "VpcId": "vpc-1", "TargetType": "instance"},
            {"TargetGroupArn": TG_IP, "VpcId": "vpc-1", "TargetType": "ip"},
            {"TargetGroupArn": "arn:other-vpc", "VpcId": "vpc-2", "TargetType": "instance"},
            {"TargetGroupArn": "arn:lambda", "VpcId": "vpc-1", "TargetType": "lambda"},
        ]},
        describe_target_health=lambda p: {"TargetHealthDescriptions": health[p["TargetGroupArn"]]},
    )
    groups = load_balancers.read_target_groups(client, ["vpc-1"])
    assert [g["TargetGroupArn"] for g in groups] == [TG_INSTANCE, TG_IP]
    found = load_balancers.read_target_registrations(client, groups, {"i-1": ["10.0.1.5"]})
    assert [(t["id"], t["port"], t["target_type"], t["availability_zone"]) for t in found["i-1"]] == [
        ("i-1", 8080, "instance", None), ("10.0.1.5", 9443, "ip", "us-east-1a")]


def test_registrations_the_auto_scaling_group_makes_are_left_to_it():
    group = {"load_balancer_names": ["web-clb"], "target_group_arns": [TG_INSTANCE]}
    targets = {"i-1": [
        {"target_group_arn": TG_INSTANCE, "target_type": "instance", "id": "i-1", "port": 80},
        {"target_group_arn": TG_INSTANCE, "target_type": "instance", "id": "i-1", "port": 8080},  # a port override: not the group's doing
        {"target_group_arn": TG_IP, "target_type": "ip", "id": "10.0.1.5", "port": 9443},
    ]}
    ports = {TG_INSTANCE: 80, TG_IP: 9443}
    names, covered = load_balancers.covered_by_auto_scaling("i-1", group, {"i-1": ["web-clb", "other-clb"]}, targets, ports)
    assert names == ["web-clb"]
    assert covered == [targets["i-1"][0]]


def test_draining_is_read_with_the_exact_targets_named(fake_client):
    client = fake_client(describe_target_health=lambda p: {"TargetHealthDescriptions": [
        {"Target": dict(t), "TargetHealth": {"State": "draining" if t["Id"] == "i-1" else "unused"}} for t in p["Targets"]]})
    registrations = {"i-1": [{"target_group_arn": TG_INSTANCE, "target_type": "instance", "id": "i-1", "port": 8080, "availability_zone": None}],
                     "i-2": [{"target_group_arn": TG_INSTANCE, "target_type": "instance", "id": "i-2", "port": 8080, "availability_zone": None}]}
    assert load_balancers.draining(client, registrations) == {"i-1": [{"target_group_arn": TG_INSTANCE, "id": "i-1", "port": 8080}]}
    assert client.calls == [("describe_target_health", {"TargetGroupArn": TG_INSTANCE, "Targets": [{"Id": "i-1", "Port": 8080}, {"Id": "i-2", "Port": 8080}]})]


def test_target_groups_behind_a_network_load_balancer_are_found_by_type(fake_client):
    client = fake_client(service="elbv2", describe_load_balancers={"LoadBalancers": [
        {"LoadBalancerArn": "arn:nlb", "LoadBalancerName": "web-nlb", "Type": "network"},
        {"LoadBalancerArn": "arn:alb", "LoadBalancerName": "web-alb", "Type": "application"}]})
    groups = [{"TargetGroupArn": TG_IP, "LoadBalancerArns": ["arn:nlb"]}, {"TargetGroupArn": TG_INSTANCE, "LoadBalancerArns": ["arn:alb"]}]
    assert load_balancers.network_load_balancers(client, groups) == {TG_IP: ["web-nlb"]}


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


def test_registration_puts_back_the_recorded_port_and_zone(fake_client):
    ok = {"ResponseMetadata": {"RequestId": "r"}}
    elbv2, elb = fake_client(register_targets=ok), fake_client(register_instances_with_load_balancer=ok)
    log = ActionLog("release", False)
    load_balancers.register_targets(log, elbv2, {"i-1": [
        {"target_group_arn": TG_IP, "target_type": "ip", "id": "10.0.1.5", "port": 9443, "availability_zone": "us-east-1a", "state": "healthy"}]})
    load_balancers.register_classic(log, elb, {"i-1": ["web"], "i-2": ["web"]})
    assert elbv2.calls == [("register_targets", {"TargetGroupArn": TG_IP, "Targets": [{"Id": "10.0.1.5", "Port": 9443, "AvailabilityZone": "us-east-1a"}]})]
    assert elb.calls == [("register_instances_with_load_balancer", {"LoadBalancerName": "web", "Instances": [{"InstanceId": "i-1"}, {"InstanceId": "i-2"}]})]


def test_classic_elbs_are_read_in_the_instances_vpcs_and_deregistered_once_per_lb(fake_client):
    client = fake_client(
        describe_load_balancers={"LoadBalancerDescriptions": [
            {"LoadBalancerName": "web", "VPCId": "vpc-1", "Instances": [{"InstanceId": "i-1"}, {"InstanceId": "i-2"}, {"InstanceId": "i-9"}]},
            {"LoadBalancerName": "far", "VPCId": "vpc-2", "Instances": [{"InstanceId": "i-1"}]},
        ]},
        deregister_instances_from_load_balancer={"ResponseMetadata": {"RequestId": "r"}},
    )
    found, names = load_balancers.read_classic_registrations(client, ["i-1", "i-2"], ["vpc-1"])
    assert found == {"i-1": ["web"], "i-2": ["web"]} and names == {"web"}
    load_balancers.deregister_classic(ActionLog("containment", False), client, found)
    expected = {"LoadBalancerName": "web", "Instances": [{"InstanceId": "i-1"}, {"InstanceId": "i-2"}]}
    assert client.calls[-1] == ("deregister_instances_from_load_balancer", expected)


def test_waiting_for_draining_survives_a_throttled_poll_and_names_what_still_drains(monkeypatch, fake_client, aws_error):
    # botocore's target_deregistered waiter would end at the first throttled poll, as if the target had failed.
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(retry.time, "sleep", lambda seconds: None)
    registrations = {"i-1": [{"target_group_arn": TG_INSTANCE, "target_type": "instance", "id": "i-1", "port": 80, "availability_zone": None}]}

    def health(state):
        return {"TargetHealthDescriptions": [{"Target": {"Id": "i-1", "Port": 80}, "TargetHealth": {"State": state}}]}

    client = fake_client(describe_target_health=[health("draining"), aws_error("Throttling"), health("unused")])
    load_balancers.wait_deregistered(RetryingBotoClientWrapper(client, DEFAULT_RETRY), registrations, timeout=60)
    assert client.names() == ["describe_target_health"] * 3

    client = fake_client(describe_target_health=health("draining"))
    with pytest.raises(load_balancers.DrainingTimeout, match=f"wait_timeout: targets i-1:80 of {TG_INSTANCE} still draining after 0 s"):
        load_balancers.wait_deregistered(client, registrations, timeout=0)
