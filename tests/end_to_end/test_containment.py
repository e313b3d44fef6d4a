"""ec2_quarantine (state=present) on the estates it must handle, read back through boto3 and the lab's request log."""

import re

import pytest

from lab.scene import add_ssm_endpoints
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_module

MODULE = "ec2_quarantine"
EVERYWHERE = {("cidr", "0.0.0.0/0"), ("cidr6", "::/0")}


def is_group_swap(request):
    """A ModifyNetworkInterfaceAttribute that sets groups (not the connection tracking timeouts) in the lab's request log."""
    return request["action"] == "ModifyNetworkInterfaceAttribute" and "SecurityGroupId.1" in request["params"]


def contain(lab, instance_ids, *flags, **options):
    """The module's result (failed or not)."""
    return run_module(lab, MODULE, dict(instance_ids=instance_ids, ticket=TICKET, **options), *flags)


def interface_groups(ec2, instance_id):
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    return {n["NetworkInterfaceId"]: [g["GroupId"] for g in n["Groups"]] for n in instance["NetworkInterfaces"]}


def our_group(ec2, vpc_id, name):
    return ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": [name]}])["SecurityGroups"][0]


def rule_destinations(rules):
    """{(protocol, from, to): {(kind, value)}} of a group's rules as AWS reports them."""
    found = {}
    for rule in rules:
        key = (rule["IpProtocol"], rule.get("FromPort"), rule.get("ToPort"))
        values = found.setdefault(key, set())
        values.update(("cidr", r["CidrIp"]) for r in rule.get("IpRanges", []))
        values.update(("cidr6", r["CidrIpv6"]) for r in rule.get("Ipv6Ranges", []))
        values.update(("group", r["GroupId"]) for r in rule.get("UserIdGroupPairs", []))
        values.update(("prefix_list", r["PrefixListId"]) for r in rule.get("PrefixListIds", []))
    return found


def target_states(elbv2, target_group_arn, target_id):
    return [(t["Target"]["Port"], t["Target"].get("AvailabilityZone"), t["TargetHealth"]["State"])
            for t in elbv2.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"] if t["Target"]["Id"] == target_id]


def test_every_interface_goes_into_the_quarantine_group_of_its_own_vpc_with_the_egress_its_endpoints_allow(lab, multi_vpc):
    instance_id = multi_vpc["compromised_instance_id"]
    primary, secondary = multi_vpc["primary_interface_id"], multi_vpc["secondary_interface_id"]
    result = contain(lab, [instance_id])
    assert not result.get("failed"), result.get("msg", result)
    ec2, elbv2 = aws(lab, "ec2"), aws(lab, "elbv2")
    web_q, data_q = our_group(ec2, multi_vpc["vpc_id"], "aws-ir-quarantine"), our_group(ec2, multi_vpc["data_vpc_id"], "aws-ir-quarantine")
    assert interface_groups(ec2, instance_id) == {primary: [web_q["GroupId"]], secondary: [data_q["GroupId"]]}

    # No inbound rule anywhere; egress only tcp/443: to the SSM endpoints' group and the S3 prefix list where they exist, else anywhere.
    assert web_q["IpPermissions"] == [] and data_q["IpPermissions"] == []
    assert rule_destinations(web_q["IpPermissionsEgress"]) == {
        ("tcp", 443, 443): {("group", multi_vpc["endpoint_sg_id"]), ("prefix_list", multi_vpc["s3_prefix_list_id"])}}
    assert rule_destinations(data_q["IpPermissionsEgress"]) == {("tcp", 443, 443): {("cidr", "0.0.0.0/0")}}
    egress = result["instances"][0]["outcome"]["egress"]
    assert (egress[multi_vpc["vpc_id"]]["mode"], egress[multi_vpc["data_vpc_id"]]["mode"]) == ("vpc_endpoints", "https_anywhere")
    open_warnings = [w for w in result["warnings"] if "HTTPS to the internet stays open" in w]
    assert len(open_warnings) == 1 and open_warnings[0].startswith(multi_vpc["data_vpc_id"])

    # The untrack step allows everything both ways for IPv4 and IPv6, in both VPCs.
    for vpc_id in (multi_vpc["vpc_id"], multi_vpc["data_vpc_id"]):
        untrack = our_group(ec2, vpc_id, "aws-ir-untrack")
        assert rule_destinations(untrack["IpPermissions"])[("-1", None, None)] == EVERYWHERE
        assert rule_destinations(untrack["IpPermissionsEgress"])[("-1", None, None)] == EVERYWHERE

    # Out of every load balancer, each registration with its own port (and zone for the IP target), reported draining.
    assert target_states(elbv2, multi_vpc["target_group_arn"], instance_id) == [(80, None, "draining")]
    assert target_states(elbv2, multi_vpc["ip_target_group_arn"], multi_vpc["primary_private_ip"]) == [(8443, "us-east-1a", "draining")]
    clb = aws(lab, "elb").describe_load_balancers(LoadBalancerNames=[multi_vpc["clb_name"]])["LoadBalancerDescriptions"][0]
    assert instance_id not in [i["InstanceId"] for i in clb["Instances"]]
    outcome = result["instances"][0]["outcome"]
    assert sorted((d["id"], d["port"]) for d in outcome["draining"]) == [(multi_vpc["primary_private_ip"], 8443), (instance_id, 80)]

    # Flows AWS keeps tracking are named, and containment is never called complete.
    assert outcome["status"] == "isolated" and outcome["containment_complete"] is False
    tracked = outcome["tracked_paths"]
    for expected in (multi_vpc["nat_gateway_id"], multi_vpc["transit_gateway_id"], "interface VPC endpoints of " + multi_vpc["vpc_id"], "web-nlb"):
        assert any(expected in path for path in tracked), expected
    assert tracked[-1] == "ICMP (always tracked)"
    assert any(w.startswith(f"{instance_id}: the security-group swap does not end flows") for w in result["warnings"])

    # Order: every Auto Scaling and load balancer change before the first group change; per interface, untrack then quarantine.
    calls = mutating(lab.requests())
    first_swap = next(n for n, c in enumerate(calls) if is_group_swap(c))
    assert max(n for n, c in enumerate(calls) if c["service"] in ("autoscaling", "elb", "elbv2")) < first_swap
    swaps = [(c["params"]["NetworkInterfaceId"], c["params"]["SecurityGroupId.1"]) for c in calls if is_group_swap(c)]
    untrack_ids = {our_group(ec2, v, "aws-ir-untrack")["GroupId"] for v in (multi_vpc["vpc_id"], multi_vpc["data_vpc_id"])}
    assert [group in untrack_ids for _eni, group in swaps] == [True, True, False, False]
    assert sorted(swaps[2:]) == sorted([(primary, web_q["GroupId"]), (secondary, data_q["GroupId"])])


def test_check_mode_and_diff_list_every_call_per_instance_and_interface_and_change_nothing(lab, multi_vpc):
    instance_id = multi_vpc["compromised_instance_id"]
    result = contain(lab, [instance_id], "--check", "--diff", disassociate_elastic_ips=True, credentials="deny_policy",
                     evidence_bucket=multi_vpc["bucket"])
    assert not result.get("failed"), result.get("msg", result)
    assert mutating(lab.requests()) == []
    calls = result["instances"][0]["calls"]
    assert {c["outcome"] for c in calls} == {"planned"}
    per_interface = {}
    for call in calls:
        if call["action"] == "ModifyNetworkInterfaceAttribute" and "Groups" in call["parameters"]:  # not the connection tracking timeouts
            per_interface.setdefault(call["target"], []).append(call["parameters"]["Groups"])
    assert sorted(per_interface) == sorted([multi_vpc["primary_interface_id"], multi_vpc["secondary_interface_id"]])
    assert all(len(steps) == 2 and "aws-ir-untrack" in steps[0][0] and "aws-ir-quarantine" in steps[1][0] for steps in per_interface.values())
    actions = [c["action"] for c in calls]
    for expected in ("ModifyInstanceAttribute", "PutRolePolicy", "DetachInstances", "DeregisterTargets", "DisassociateAddress"):
        assert expected in actions
    assert [c["target"] for c in calls if c["action"] == "DisassociateAddress"] == [multi_vpc["elastic_ip"]["allocation_id"]]
    diff = result["diff"]
    before = {e["network_interface_id"]: e["groups"] for e in diff["before"]["instances"][instance_id]["network_interfaces"]}
    after = {e["network_interface_id"]: e["groups"] for e in diff["after"]["instances"][instance_id]["network_interfaces"]}
    assert before[multi_vpc["secondary_interface_id"]] == multi_vpc["data_sg_ids"]
    assert after[multi_vpc["secondary_interface_id"]] == [f"sg-(new aws-ir-quarantine in {multi_vpc['data_vpc_id']})"]
    assert diff["after"]["instances"][instance_id]["elastic_ips"] == []


def test_a_spot_instance_alone_in_its_group_keeps_the_other_protections_and_is_detached_without_decrement(lab, spot):
    instance_id = spot["compromised_instance_id"]
    result = contain(lab, [instance_id])
    assert not result.get("failed"), result.get("msg", result)
    ec2, asg = aws(lab, "ec2"), aws(lab, "autoscaling")

    def attribute(name, key):
        return ec2.describe_instance_attribute(InstanceId=instance_id, Attribute=name)[key]["Value"]

    assert attribute("disableApiTermination", "DisableApiTermination") is False
    assert attribute("disableApiStop", "DisableApiStop") is True
    assert attribute("instanceInitiatedShutdownBehavior", "InstanceInitiatedShutdownBehavior") == "stop"
    assert asg.describe_auto_scaling_instances(InstanceIds=[instance_id])["AutoScalingInstances"] == []
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[spot["asg_name"]])["AutoScalingGroups"][0]
    assert (group["MinSize"], group["DesiredCapacity"]) == (1, 1)  # MinSize never changed; the group replaces the instance
    detach = [c for c in lab.requests() if c["action"] == "DetachInstances"]
    assert [c["params"]["ShouldDecrementDesiredCapacity"] for c in detach] == ["false"]
    warnings = result["instances"][0]["warnings"]
    assert any("Spot instance, termination protection cannot be enabled" in w for w in warnings)
    assert any("WITHOUT decrementing" in w and "replacement" in w for w in warnings)
    # One attribute per call, and termination protection never asked for (the shutdown behaviour was already stop).
    modified = [c["params"] for c in mutating(lab.requests()) if c["action"] == "ModifyInstanceAttribute"]
    assert [sorted(k for k in p if k != "InstanceId")[0].split(".")[0] for p in modified] == ["DisableApiStop", "BlockDeviceMapping"]


def test_an_instance_the_group_cannot_detach_is_reported_and_one_in_no_group_is_left_alone(lab, demo):
    pending, outside = demo["instance_ids"]
    ec2, asg = aws(lab, "ec2"), aws(lab, "autoscaling")
    ec2.create_tags(Resources=[pending], Tags=[{"Key": "lab:asg-lifecycle-state", "Value": "Pending:Wait"}])
    asg.detach_instances(AutoScalingGroupName=demo["asg_name"], InstanceIds=[outside], ShouldDecrementDesiredCapacity=True)
    # Out of the group but still behind the CLB: no detach deregisters it, the module must.
    aws(lab, "elb").register_instances_with_load_balancer(LoadBalancerName=demo["clb_name"], Instances=[{"InstanceId": outside}])
    lab.clear_requests()
    result = contain(lab, [pending, outside])
    assert not result.get("failed"), result.get("msg", result)
    calls = mutating(lab.requests())
    assert "DetachInstances" not in [c["action"] for c in calls]
    by_id = {i["instance_id"]: i for i in result["instances"]}
    assert any("lifecycle state Pending:Wait cannot be detached" in w for w in by_id[pending]["warnings"])
    assert not any("Auto Scaling" in n for n in by_id[outside]["outcome"]["notes"])
    assert [(c["params"]["LoadBalancerName"], c["params"]["Instances.member.1.InstanceId"]) for c in calls
            if c["action"] == "DeregisterInstancesFromLoadBalancer"] == [(demo["clb_name"], outside)]
    members = aws(lab, "elb").describe_load_balancers(LoadBalancerNames=[demo["clb_name"]])["LoadBalancerDescriptions"][0]["Instances"]
    assert not {pending, outside} & {m["InstanceId"] for m in members}
    quarantine = our_group(ec2, demo["vpc_id"], "aws-ir-quarantine")["GroupId"]
    assert all(groups == [quarantine] for i in (pending, outside) for groups in interface_groups(ec2, i).values())


@pytest.mark.parametrize("case, message", [
    ("a name", "quarantine_group_ids: 'web-quarantine' is not a security group id"),
    ("empty", r"quarantine_group_ids is empty \(\[\]\)"),
    ("another VPC", "quarantine_group_ids: {foreign} is in {foreign_vpc}, where no target instance has a network interface"),
    ("one VPC only", "quarantine_group_ids: no group in {data_vpc}, the VPC of network interface {secondary}"),
])
def test_given_quarantine_groups_are_refused_before_any_change(lab, multi_vpc, case, message):
    ec2 = aws(lab, "ec2")
    web_group = ec2.create_security_group(GroupName="web-quarantine", Description="q", VpcId=multi_vpc["vpc_id"])["GroupId"]
    foreign_vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    foreign = ec2.create_security_group(GroupName="elsewhere", Description="q", VpcId=foreign_vpc)["GroupId"]
    given = {"a name": ["web-quarantine"], "empty": [], "another VPC": [web_group, foreign], "one VPC only": [web_group]}[case]
    lab.clear_requests()
    result = contain(lab, [multi_vpc["compromised_instance_id"]], quarantine_group_ids=given)
    assert result.get("failed")
    expected = message.format(foreign=foreign, foreign_vpc=foreign_vpc, data_vpc=multi_vpc["data_vpc_id"], secondary=multi_vpc["secondary_interface_id"])
    assert re.search(expected, result["msg"]), result["msg"]
    assert mutating(lab.requests()) == [] and result["actions"] == []


def test_given_quarantine_groups_replace_ours_per_vpc_and_keep_their_egress(lab, multi_vpc):
    ec2 = aws(lab, "ec2")
    mine = {v: ec2.create_security_group(GroupName="ir-hold", Description="q", VpcId=v)["GroupId"] for v in (multi_vpc["vpc_id"], multi_vpc["data_vpc_id"])}
    lab.clear_requests()
    result = contain(lab, [multi_vpc["compromised_instance_id"]], quarantine_group_ids=list(mine.values()))
    assert not result.get("failed"), result.get("msg", result)
    assert interface_groups(ec2, multi_vpc["compromised_instance_id"]) == {
        multi_vpc["primary_interface_id"]: [mine[multi_vpc["vpc_id"]]], multi_vpc["secondary_interface_id"]: [mine[multi_vpc["data_vpc_id"]]]}
    created = [c["params"]["GroupName"] for c in mutating(lab.requests()) if c["action"] == "CreateSecurityGroup"]
    assert created == ["aws-ir-untrack", "aws-ir-untrack"]
    assert not [c for c in mutating(lab.requests()) if c["params"].get("GroupId") in mine.values()]
    assert result["security_groups"][multi_vpc["vpc_id"]]["egress"]["mode"] == "user_groups"


def test_a_quarantine_group_made_without_endpoints_is_switched_to_them_once_they_exist(lab, demo):
    first, second = demo["instance_ids"]
    assert not contain(lab, [first]).get("failed")
    ec2 = aws(lab, "ec2")
    group = our_group(ec2, demo["vpc_id"], "aws-ir-quarantine")
    assert rule_destinations(group["IpPermissionsEgress"]) == {("tcp", 443, 443): {("cidr", "0.0.0.0/0")}}
    endpoint_group, prefix_list = add_ssm_endpoints(lab.endpoint_url, demo["vpc_id"], demo["subnet_ids"])
    result = contain(lab, [second])
    assert not result.get("failed"), result.get("msg", result)
    group = our_group(ec2, demo["vpc_id"], "aws-ir-quarantine")
    assert rule_destinations(group["IpPermissionsEgress"]) == {("tcp", 443, 443): {("group", endpoint_group), ("prefix_list", prefix_list)}}
    assert any("had egress tcp/443 to 0.0.0.0/0; changed to" in w and "every interface in that group" in w for w in result["warnings"])
    assert [c["action"] for c in mutating(lab.requests()) if c["params"].get("GroupId") == group["GroupId"]] == [
        "RevokeSecurityGroupEgress", "AuthorizeSecurityGroupEgress"]


def test_draining_is_waited_for_only_when_asked(lab, demo):
    elbv2, instance_id = aws(lab, "elbv2"), demo["compromised_instance_id"]
    elbv2.modify_target_group_attributes(TargetGroupArn=demo["target_group_arn"],
                                         Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "1"}])
    lab.clear_requests()
    result = contain(lab, [instance_id], wait=True, wait_timeout=30)
    assert not result.get("failed"), result.get("msg", result)
    assert result["instances"][0]["outcome"]["draining"] == []
    assert target_states(elbv2, demo["target_group_arn"], instance_id) == []
    calls = lab.requests()
    first_swap = next(n for n, c in enumerate(calls) if is_group_swap(c))
    waits = [n for n, c in enumerate(calls) if c["action"] == "DescribeTargetHealth" and "Targets.member.1.Id" in c["params"]]
    assert waits and max(waits) < first_swap


def test_waiting_for_draining_that_outlasts_wait_timeout_stops_before_isolation(lab, demo):
    result = contain(lab, [demo["compromised_instance_id"]], wait=True, wait_timeout=2)
    assert result.get("failed") and "wait_timeout" in result["msg"] and "still draining" in result["msg"]
    assert "ModifyNetworkInterfaceAttribute" not in [c["action"] for c in mutating(lab.requests())]
    assert result["instances"][0]["state_before"]["instance_id"] == demo["compromised_instance_id"]
