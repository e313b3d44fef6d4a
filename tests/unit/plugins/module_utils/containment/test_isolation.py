import pytest
from botocore.exceptions import ClientError

from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import egress
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import isolation

GROUPS = {"vpc-1": {"quarantine_group_ids": ["sg-q"], "untrack_group_id": "sg-u"}}
OK = {"ResponseMetadata": {"RequestId": "r"}}
ANYWHERE = {"mode": egress.MODE_HTTPS_ANYWHERE, "destinations": {egress.ANYWHERE_V4}, "reason": "no endpoints"}
ENDPOINTS = {"mode": egress.MODE_ENDPOINTS, "destinations": {("group", "sg-vpce"), ("prefix_list", "pl-s3")}, "reason": "endpoints"}
ALL_V4_OUT = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}
HTTPS_V4_OUT = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def eni(eni_id, groups, instance_id="i-1", vpc_id="vpc-1"):
    return {"network_interface_id": eni_id, "vpc_id": vpc_id, "groups": groups, "instance_id": instance_id}


def sg(group_id="sg-q", name="aws-ir-quarantine", vpc_id="vpc-1", ingress=(), egress_rules=(HTTPS_V4_OUT,)):
    return {"GroupId": group_id, "GroupName": name, "VpcId": vpc_id, "IpPermissions": list(ingress), "IpPermissionsEgress": list(egress_rules)}


def group_client(fake_client, groups=(), created=()):
    ids = iter(created)
    return fake_client(
        create_security_group=lambda p: dict(OK, GroupId=next(ids)),
        authorize_security_group_ingress=OK, authorize_security_group_egress=OK, revoke_security_group_egress=OK,
        describe_security_groups=lambda p: {"SecurityGroups": [dict(sg(g), IpPermissionsEgress=[ALL_V4_OUT]) for g in p.get("GroupIds", [])] or list(groups)},
    )


def calls(client, name):
    return [p for n, p in client.calls if n == name]


def test_quarantine_group_with_any_inbound_rule_is_refused():
    with pytest.raises(isolation.IsolationError, match="sg-q .*has inbound rules"):
        isolation.check_quarantine_group(sg(ingress=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}]))


def test_quarantine_group_with_egress_other_than_https_is_refused():
    with pytest.raises(isolation.IsolationError, match="allows only tcp/443"):
        isolation.check_quarantine_group(sg(egress_rules=[{"IpProtocol": "-1"}]))
    isolation.check_quarantine_group(sg())


def test_our_own_quarantine_group_with_extra_egress_is_left_to_be_repaired_but_never_one_with_inbound_rules():
    ours = {"Tags": [{"Key": "IncidentResponseRole", "Value": "quarantine"}]}
    isolation.check_quarantine_group(dict(sg(egress_rules=[{"IpProtocol": "-1"}]), **ours))
    with pytest.raises(isolation.IsolationError, match="has inbound rules"):
        isolation.check_quarantine_group(dict(sg(ingress=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}]), **ours))
    with pytest.raises(isolation.IsolationError, match="allows only tcp/443"):
        isolation.check_quarantine_group(dict(sg(egress_rules=[{"IpProtocol": "-1"}]), Tags=[{"Key": "IncidentResponseRole", "Value": "untrack"}]))


def test_interfaces_get_two_steps_unless_already_half_or_fully_isolated():
    plans = isolation.plan_interfaces([eni("eni-a", ["sg-web", "sg-db"]), eni("eni-b", ["sg-u"]), eni("eni-c", ["sg-q"])], GROUPS)
    assert [p["steps"] for p in plans] == [[["sg-u"], ["sg-q"]], [["sg-q"]], []]


def test_every_untrack_step_comes_before_any_quarantine_step(fake_client):
    client = fake_client(modify_network_interface_attribute=OK)
    plans = isolation.plan_interfaces([eni("eni-a", ["sg-web"]), eni("eni-b", ["sg-web"], "i-2")], GROUPS)
    log = ActionLog("containment", False)
    isolation.swap_interfaces(log, client, plans)
    # The interfaces of one step are changed concurrently: in any order within the step.
    made = [(p["NetworkInterfaceId"], p["Groups"]) for _n, p in client.calls]
    assert sorted(made[:2]) == [("eni-a", ["sg-u"]), ("eni-b", ["sg-u"])] and sorted(made[2:]) == [("eni-a", ["sg-q"]), ("eni-b", ["sg-q"])]
    # The record keeps a fixed order: per step, the interfaces as planned.
    assert [(r["target"], r["after"]["groups"]) for r in log.records] == [("eni-a", ["sg-u"]), ("eni-b", ["sg-u"]), ("eni-a", ["sg-q"]), ("eni-b", ["sg-q"])]
    assert log.records[2]["before"] == {"groups": ["sg-u"]} and log.records[0]["before"] == {"groups": ["sg-web"]}


def test_missing_groups_are_created_per_vpc_untrack_all_both_ways_quarantine_only_https(fake_client):
    client = group_client(fake_client, created=["sg-new-u", "sg-new-q"])
    log = ActionLog("containment", False)
    existing = {"vpc-1": {"quarantine": None, "untrack": None}}
    resolved, warnings = isolation.ensure_groups(log, client, ["vpc-1"], existing, {"vpc-1": ANYWHERE})
    assert resolved["vpc-1"]["quarantine_group_ids"] == ["sg-new-q"] and resolved["vpc-1"]["created"] == ["aws-ir-untrack", "aws-ir-quarantine"]
    assert warnings == {"vpc-1": []}
    # Untrack: all traffic in, from IPv4 and IPv6 anywhere; out, IPv6 added to the IPv4 rule AWS created.
    assert calls(client, "authorize_security_group_ingress") == [{"GroupId": "sg-new-u", "IpPermissions": [
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]}]
    egress_calls = calls(client, "authorize_security_group_egress")
    assert egress_calls[0] == {"GroupId": "sg-new-u", "IpPermissions": [{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]}
    # Quarantine: the default all-traffic egress revoked, tcp/443 added.
    assert calls(client, "revoke_security_group_egress") == [
        {"GroupId": "sg-new-q", "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]
    assert egress_calls[1] == {"GroupId": "sg-new-q", "IpPermissions": [HTTPS_V4_OUT]}


def test_groups_another_run_creates_at_the_same_time_are_used_and_its_rule_changes_are_not_failures(fake_client, aws_error):
    # Two tickets in one VPC: both read "no group", the other run's CreateSecurityGroup lands first, and it adds or
    # revokes some rules before this run does. AWS answers InvalidGroup.Duplicate, InvalidPermission.Duplicate and
    # InvalidPermission.NotFound (EC2 API error codes); each means the state this run wanted is already there.
    theirs = {"aws-ir-untrack": dict(sg("sg-their-u", "aws-ir-untrack", egress_rules=[ALL_V4_OUT]), Tags=[{"Key": "IncidentResponseRole", "Value": "untrack"}]),
              "aws-ir-quarantine": dict(sg("sg-their-q", egress_rules=[ALL_V4_OUT]), Tags=[{"Key": "IncidentResponseRole", "Value": "quarantine"}])}
    client = fake_client(
        create_security_group=aws_error("InvalidGroup.Duplicate"),
        describe_security_groups=lambda p: {"SecurityGroups": [theirs[n] for n in p["Filters"][1]["Values"]]},
        authorize_security_group_ingress=aws_error("InvalidPermission.Duplicate"),
        authorize_security_group_egress=[OK, aws_error("InvalidPermission.Duplicate")],
        revoke_security_group_egress=aws_error("InvalidPermission.NotFound"))
    log = ActionLog("containment", False)
    resolved, warnings = isolation.ensure_groups(log, client, ["vpc-1"], {"vpc-1": {"quarantine": None, "untrack": None}}, {"vpc-1": ANYWHERE})
    assert resolved["vpc-1"]["untrack_group_id"] == "sg-their-u" and resolved["vpc-1"]["quarantine_group_ids"] == ["sg-their-q"]
    assert resolved["vpc-1"]["created"] == []
    assert warnings == {"vpc-1": ["vpc-1: aws-ir-untrack sg-their-u was created by another run at the same time; this run uses it",
                                  "vpc-1: aws-ir-quarantine sg-their-q was created by another run at the same time; this run uses it"]}
    # Every refusal stays in the record, with AWS's code.
    assert [(r["action"], r["error_code"]) for r in log.records if r["outcome"] == "error"] == [
        ("CreateSecurityGroup", "InvalidGroup.Duplicate"), ("AuthorizeSecurityGroupIngress", "InvalidPermission.Duplicate"),
        ("CreateSecurityGroup", "InvalidGroup.Duplicate"), ("RevokeSecurityGroupEgress", "InvalidPermission.NotFound"),
        ("AuthorizeSecurityGroupEgress", "InvalidPermission.Duplicate")]


def test_a_duplicate_group_that_cannot_be_found_or_allows_inbound_is_refused(fake_client, aws_error):
    existing = {"vpc-1": {"quarantine": None, "untrack": sg("sg-u", "aws-ir-untrack", egress_rules=[ALL_V4_OUT])}}
    complete = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
    existing["vpc-1"]["untrack"].update(IpPermissions=[complete], IpPermissionsEgress=[complete])
    for found, message in (([], "refused as a duplicate, yet no group of that name is found"),
                           ([sg("sg-x", ingress=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}])], "sg-x .*has inbound rules")):
        client = fake_client(create_security_group=aws_error("InvalidGroup.Duplicate"), describe_security_groups={"SecurityGroups": found})
        with pytest.raises(isolation.IsolationError, match=message):
            isolation.ensure_groups(ActionLog("containment", False), client, ["vpc-1"], existing, {"vpc-1": ANYWHERE})


def test_endpoint_egress_goes_to_the_endpoint_groups_and_the_s3_prefix_list(fake_client):
    client = group_client(fake_client, created=["sg-new-u", "sg-new-q"])
    isolation.ensure_groups(ActionLog("containment", False), client, ["vpc-1"], {"vpc-1": {"quarantine": None, "untrack": None}}, {"vpc-1": ENDPOINTS})
    assert calls(client, "authorize_security_group_egress")[-1] == {"GroupId": "sg-new-q", "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": "pl-s3"}], "UserIdGroupPairs": [{"GroupId": "sg-vpce"}]}]}


def test_an_existing_quarantine_group_made_under_the_other_choice_is_corrected_with_a_warning(fake_client):
    client = group_client(fake_client)
    untrack = sg("sg-u", "aws-ir-untrack", ingress=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
                 egress_rules=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    existing = {"vpc-1": {"quarantine": sg(), "untrack": untrack}}
    resolved, warnings = isolation.ensure_groups(ActionLog("containment", False), client, ["vpc-1"], existing, {"vpc-1": ENDPOINTS})
    assert calls(client, "revoke_security_group_egress") == [{"GroupId": "sg-q", "IpPermissions": [HTTPS_V4_OUT]}]
    assert calls(client, "authorize_security_group_egress")[0]["IpPermissions"][0]["UserIdGroupPairs"] == [{"GroupId": "sg-vpce"}]
    assert calls(client, "authorize_security_group_ingress") == []  # the untrack group was complete
    assert len(warnings["vpc-1"]) == 1 and "had egress tcp/443 to 0.0.0.0/0; changed to security group sg-vpce, prefix list pl-s3" in warnings["vpc-1"][0]
    assert resolved["vpc-1"]["created"] == [] and resolved["vpc-1"]["egress"]["mode"] == egress.MODE_ENDPOINTS
    # A second run finds the group as it should be and changes nothing.
    fixed = sg(egress_rules=[egress.permission(egress.HTTPS, ENDPOINTS["destinations"])])
    client = group_client(fake_client)
    _resolved, warnings = isolation.ensure_groups(ActionLog("containment", False), client, ["vpc-1"],
                                                  {"vpc-1": {"quarantine": fixed, "untrack": untrack}}, {"vpc-1": ENDPOINTS})
    assert client.calls == [] and warnings == {"vpc-1": []}


def test_an_existing_untrack_group_that_misses_ipv6_gets_it_with_a_warning(fake_client):
    client = group_client(fake_client)
    untrack = sg("sg-u", "aws-ir-untrack", ingress=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}], egress_rules=[ALL_V4_OUT])
    _resolved, warnings = isolation.ensure_groups(ActionLog("containment", False), client, ["vpc-1"],
                                                  {"vpc-1": {"quarantine": sg(), "untrack": untrack}}, {"vpc-1": ANYWHERE})
    assert [p["IpPermissions"] for p in calls(client, "authorize_security_group_ingress")] == [[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]]
    assert [p["IpPermissions"] for p in calls(client, "authorize_security_group_egress")] == [[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]]
    assert "did not allow all traffic both ways for IPv4 and IPv6" in warnings["vpc-1"][0]


def test_check_mode_plans_the_groups_without_calls(fake_client):
    client = fake_client()
    log = ActionLog("containment", True)
    resolved, _warnings = isolation.ensure_groups(log, client, ["vpc-1"], {"vpc-1": {"quarantine": None, "untrack": None}}, {"vpc-1": ANYWHERE})
    assert client.calls == []
    assert resolved["vpc-1"]["quarantine_group_ids"] == ["sg-(new aws-ir-quarantine in vpc-1)"]
    assert {r["outcome"] for r in log.records} == {"planned"}
    assert [r["action"] for r in log.records] == ["CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
                                                  "CreateSecurityGroup", "RevokeSecurityGroupEgress", "AuthorizeSecurityGroupEgress"]


INTERFACES = [eni("eni-a", ["sg-web"], vpc_id="vpc-1"), eni("eni-b", ["sg-db"], vpc_id="vpc-2")]


@pytest.mark.parametrize("group_ids, described, message", [
    ([], [], r"quarantine_group_ids is empty \(\[\]\)"),
    (["web-quarantine"], [], r"'web-quarantine' is not a security group id .*not its name"),
    (["sg-0123456789abcdef0", "sg-0123456789abcdef0"], [], "listed twice"),
    (["sg-0123456789abcdef0"], [], "sg-0123456789abcdef0 not found"),
    (["sg-0123456789abcdef0", "sg-0123456789abcdef1"], [sg("sg-0123456789abcdef0", "q1", "vpc-1"), sg("sg-0123456789abcdef1", "q3", "vpc-3")],
     r"sg-0123456789abcdef1 is in vpc-3, where no target instance has a network interface"),
    (["sg-0123456789abcdef0"], [sg("sg-0123456789abcdef0", "q1", "vpc-1")], r"no group in vpc-2, the VPC of network interface eni-b of i-1"),
    (["sg-0123456789abcdef0", "sg-0123456789abcdef1"],
     [sg("sg-0123456789abcdef0", "q1", "vpc-1", ingress=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}]), sg("sg-0123456789abcdef1", "q2", "vpc-2")],
     "quarantine_group_ids: security group sg-0123456789abcdef0 .*has inbound rules"),
])
def test_given_quarantine_groups_are_refused_with_the_field_and_value(fake_client, group_ids, described, message):
    client = fake_client(describe_security_groups={"SecurityGroups": described})
    # A group that is not there is a NotFoundError, which the module completes with the account and Region.
    with pytest.raises((isolation.IsolationError, NotFoundError), match=message):
        isolation.read_user_groups(client, group_ids, INTERFACES)


def test_given_quarantine_groups_apply_per_vpc_and_their_egress_is_reported_not_changed(fake_client):
    described = [sg("sg-0123456789abcdef0", "q1", "vpc-1"), sg("sg-0123456789abcdef1", "q2", "vpc-2", egress_rules=[])]
    client = fake_client(describe_security_groups={"SecurityGroups": described})
    user_groups = isolation.read_user_groups(client, ["sg-0123456789abcdef0", "sg-0123456789abcdef1"], INTERFACES)
    assert user_groups[0] == {"vpc-1": ["sg-0123456789abcdef0"], "vpc-2": ["sg-0123456789abcdef1"]}
    client = group_client(fake_client, created=["sg-u1", "sg-u2"])
    existing = {v: {"quarantine": None, "untrack": None} for v in ("vpc-1", "vpc-2")}
    resolved, _w = isolation.ensure_groups(ActionLog("containment", False), client, ["vpc-1", "vpc-2"], existing, {}, user_groups)
    assert [c["GroupName"] for c in calls(client, "create_security_group")] == ["aws-ir-untrack", "aws-ir-untrack"]
    assert calls(client, "revoke_security_group_egress") == []
    assert resolved["vpc-2"]["quarantine_group_ids"] == ["sg-0123456789abcdef1"]
    assert resolved["vpc-1"]["egress"]["mode"] == egress.MODE_USER_GROUPS and resolved["vpc-1"]["egress"]["destinations"] == "0.0.0.0/0"
    plans = isolation.plan_interfaces(INTERFACES, resolved)
    assert [p["steps"][-1] for p in plans] == [["sg-0123456789abcdef0"], ["sg-0123456789abcdef1"]]


def swaps(fake_client, aws_error, refused):
    """A client that refuses ModifyNetworkInterfaceAttribute for the (interface, group) pairs in refused."""
    def modify(params):
        return aws_error("UnauthorizedOperation") if (params["NetworkInterfaceId"], params["Groups"][0]) in refused else OK
    return fake_client(modify_network_interface_attribute=modify)


def made(client):
    return [(p["NetworkInterfaceId"], p["Groups"][0]) for _n, p in client.calls]


def test_an_interface_whose_quarantine_step_fails_is_never_left_in_the_untrack_group(fake_client, aws_error):
    # The untrack group allows all traffic: leaving an interface in it would open the instance wider than before.
    client = swaps(fake_client, aws_error, {("eni-a", "sg-q")})
    log = ActionLog("containment", False)
    plans = isolation.plan_interfaces([eni("eni-a", ["sg-web"]), eni("eni-b", ["sg-web"])], GROUPS)
    with pytest.raises(isolation.IsolationError) as caught:
        isolation.swap_interfaces(log, client, plans)
    # eni-b, already untracked, still gets its quarantine; eni-a goes back to its own group.
    assert made(client) == [("eni-a", "sg-u"), ("eni-b", "sg-u"), ("eni-a", "sg-q"), ("eni-a", "sg-web"), ("eni-b", "sg-q")]
    assert [r["outcome"] for r in log.records] == ["ok", "ok", "error", "ok", "ok"]
    assert str(caught.value) == ("ModifyNetworkInterfaceAttribute failed (eni-a: UnauthorizedOperation: UnauthorizedOperation); "
                                 "eni-a is back in its groups before (sg-web), NOT isolated. Fix the cause and run again: "
                                 "the next run isolates what is missing")


def test_an_interface_that_cannot_leave_the_untrack_group_is_named(fake_client, aws_error):
    client = swaps(fake_client, aws_error, {("eni-a", "sg-q"), ("eni-a", "sg-web")})
    with pytest.raises(isolation.IsolationError, match="eni-a is left in aws-ir-untrack, which allows all traffic: put it in a quarantine group by hand"):
        isolation.swap_interfaces(ActionLog("containment", False), client, isolation.plan_interfaces([eni("eni-a", ["sg-web"])], GROUPS))


def test_a_failed_untrack_step_leaves_the_interfaces_not_reached_as_they_were(fake_client, aws_error):
    client = swaps(fake_client, aws_error, {("eni-b", "sg-u")})
    plans = isolation.plan_interfaces([eni("eni-a", ["sg-web"]), eni("eni-b", ["sg-web"]), eni("eni-c", ["sg-web"])], GROUPS)
    with pytest.raises(ClientError):
        isolation.swap_interfaces(ActionLog("containment", False), client, plans)
    # eni-a, untracked, is quarantined; eni-b and eni-c keep their groups, and a re-run takes both steps for them.
    assert made(client) == [("eni-a", "sg-u"), ("eni-b", "sg-u"), ("eni-a", "sg-q")]


def refuse(eni_id, groups, aws_error):
    """A ModifyNetworkInterfaceAttribute answer that refuses one interface's change to groups."""
    return lambda p: aws_error("UnauthorizedOperation") if (p["NetworkInterfaceId"], p["Groups"]) == (eni_id, groups) else OK


def final_groups(client, plans, refused):
    """Each interface's groups after the calls the client accepted."""
    last = {p["network_interface_id"]: p["groups_before"] for p in plans}
    last.update((p["NetworkInterfaceId"], p["Groups"]) for _n, p in client.calls if (p["NetworkInterfaceId"], p["Groups"]) != refused)
    return last


@pytest.mark.parametrize("failing", ["eni-a", "eni-b", "eni-c"])
def test_a_refused_quarantine_step_of_any_interface_puts_it_back_and_isolates_the_others(fake_client, aws_error, failing):
    client = fake_client(modify_network_interface_attribute=refuse(failing, ["sg-q"], aws_error))
    plans = isolation.plan_interfaces([eni(e, ["sg-web"], f"i-{e}") for e in ("eni-a", "eni-b", "eni-c")], GROUPS)
    log = ActionLog("containment", False)
    with pytest.raises(isolation.IsolationError) as error:
        isolation.swap_interfaces(log, client, plans)
    expected = {e: ["sg-q"] for e in ("eni-a", "eni-b", "eni-c")}
    expected[failing] = ["sg-web"]
    assert final_groups(client, plans, (failing, ["sg-q"])) == expected
    assert f"{failing} is back in its groups before (sg-web), NOT isolated" in str(error.value)
    # Each branch's calls stay together in the record: the refused change, then the way back.
    failed = [i for i, r in enumerate(log.records) if r["outcome"] == "error"]
    assert len(failed) == 1 and log.records[failed[0] + 1]["after"] == {"groups": ["sg-web"]}


@pytest.mark.parametrize("failing", ["eni-a", "eni-b", "eni-c"])
def test_a_refused_untrack_step_leaves_no_interface_in_the_untrack_group(fake_client, aws_error, failing):
    client = fake_client(modify_network_interface_attribute=refuse(failing, ["sg-u"], aws_error))
    plans = isolation.plan_interfaces([eni(e, ["sg-web"], f"i-{e}") for e in ("eni-a", "eni-b", "eni-c")], GROUPS)
    with pytest.raises((isolation.IsolationError, ClientError)):
        isolation.swap_interfaces(ActionLog("containment", False), client, plans)
    final = final_groups(client, plans, (failing, ["sg-u"]))
    # Concurrent untrack steps may have been made before the refusal: those interfaces are quarantined.
    assert final[failing] == ["sg-web"]
    assert all(groups in (["sg-web"], ["sg-q"]) for groups in final.values()), final
