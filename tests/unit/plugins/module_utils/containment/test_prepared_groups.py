"""The quarantine groups of VPCs made before an incident: bad ids refused before any call that changes
something, the groups containment would make, nothing done when they are already as wanted."""

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import isolation
from ansible_collections.secops.aws_ir.plugins.module_utils.containment.prepared_groups import prepare

REGION = "us-east-1"
WEB, DATA = "vpc-0123456789abcdef0", "vpc-0fedcba9876543210"
OK = {"ResponseMetadata": {"RequestId": "r"}}
# What AWS gives a new group: no inbound rule, all traffic out to 0.0.0.0/0 (EC2 User Guide, security group rules).
DEFAULT_EGRESS = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
ALL_BOTH = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
HTTPS_ANYWHERE = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
HTTPS_ENDPOINTS = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": "pl-s3"}],
                   "UserIdGroupPairs": [{"GroupId": "sg-vpce"}]}
MUTATING = ("create_security_group", "authorize_security_group_ingress", "authorize_security_group_egress", "revoke_security_group_egress")


def endpoint(service, kind="Interface"):
    return {"VpcEndpointId": f"vpce-{service}", "VpcId": WEB, "ServiceName": f"com.amazonaws.{REGION}.{service}", "VpcEndpointType": kind,
            "State": "available", "PrivateDnsEnabled": kind == "Interface", "Groups": [{"GroupId": "sg-vpce"}] if kind == "Interface" else []}


# The web VPC has the SSM interface endpoints and the S3 gateway endpoint; the data VPC has none.
WEB_ENDPOINTS = [endpoint("ssm"), endpoint("ssmmessages"), endpoint("ec2messages"), endpoint("s3", "Gateway")]


def group(group_id, role, vpc_id, ingress=(), egress_rules=(), ours=True):
    tags = [{"Key": "IncidentResponseRole", "Value": role}] if ours else []
    return {"GroupId": group_id, "GroupName": isolation.GROUP_NAMES[role], "VpcId": vpc_id, "IpPermissions": list(ingress),
            "IpPermissionsEgress": list(egress_rules), "Tags": tags}


def ec2(fake_client, vpcs=(WEB, DATA), groups=(), created=()):
    ids = iter(created)

    def describe_groups(params):
        if "GroupIds" in params:  # a group just created, as AWS made it
            return {"SecurityGroups": [group(params["GroupIds"][0], "quarantine", WEB, egress_rules=DEFAULT_EGRESS)]}
        return {"SecurityGroups": [g for g in groups if g["VpcId"] in params["Filters"][0]["Values"]]}

    return fake_client(
        describe_vpcs=lambda p: {"Vpcs": [{"VpcId": v} for v in vpcs if v in p["Filters"][0]["Values"]]},
        describe_security_groups=describe_groups,
        describe_vpc_endpoints=lambda p: {"VpcEndpoints": [e for e in WEB_ENDPOINTS if e["VpcId"] in p["Filters"][0]["Values"]]},
        describe_prefix_lists={"PrefixLists": [{"PrefixListId": "pl-s3"}]},
        create_security_group=lambda p: dict(OK, GroupId=next(ids)),
        authorize_security_group_ingress=OK, authorize_security_group_egress=OK, revoke_security_group_egress=OK,
    )


def changes(client):
    return [(name, params) for name, params in client.calls if name in MUTATING]


@pytest.mark.parametrize("vpc_ids, message", [
    (["web"], r"vpc_ids: 'web' is not a VPC id \(vpc- followed by 8 or 17 hexadecimal digits\)"),
    (["10.0.0.0/16"], r"'10.0.0.0/16' is not a VPC id"),
    ([WEB, WEB], f"vpc_ids: '{WEB}' is listed twice"),
])
def test_a_value_that_is_not_one_vpc_id_is_refused_before_any_call(fake_client, vpc_ids, message):
    client = fake_client()
    with pytest.raises(isolation.IsolationError, match=message):
        prepare(ActionLog("preparation", False), client, REGION, vpc_ids)
    assert client.calls == []


def test_a_vpc_that_does_not_exist_is_named_with_the_account_and_region_before_any_change(fake_client):
    client = ec2(fake_client, vpcs=[WEB])
    log = ActionLog("preparation", False)
    with pytest.raises(NotFoundError) as raised:
        prepare(log, client, REGION, [WEB, DATA, "vpc-0000000a"], field="quarantine_vpc_ids")
    assert raised.value.located("123456789012", REGION).startswith(
        f"quarantine_vpc_ids: {DATA}, vpc-0000000a not found in account 123456789012, Region {REGION} (DescribeVpcs)")
    assert client.names() == ["describe_vpcs"] and log.records == []


def test_each_vpc_gets_the_groups_containment_makes_with_the_egress_its_endpoints_allow(fake_client):
    # VPCs are prepared in the order of their ids: the web VPC's id comes first.
    client = ec2(fake_client, created=["sg-u-web", "sg-q-web", "sg-u-data", "sg-q-data"])
    log = ActionLog("preparation", False)
    resolved, warnings = prepare(log, client, REGION, [WEB, DATA])
    assert {v: (r["untrack_group_id"], r["quarantine_group_ids"], r["created"]) for v, r in resolved.items()} == {
        DATA: ("sg-u-data", ["sg-q-data"], ["aws-ir-untrack", "aws-ir-quarantine"]),
        WEB: ("sg-u-web", ["sg-q-web"], ["aws-ir-untrack", "aws-ir-quarantine"])}
    created = [p for name, p in client.calls if name == "create_security_group"]
    assert [(p["VpcId"], p["GroupName"], p["TagSpecifications"][0]["Tags"]) for p in created] == [
        (vpc, name, [{"Key": "Name", "Value": name}, {"Key": "IncidentResponseRole", "Value": role}])
        for vpc in (WEB, DATA) for name, role in (("aws-ir-untrack", "untrack"), ("aws-ir-quarantine", "quarantine"))]
    quarantine_egress = {p["GroupId"]: p["IpPermissions"] for name, p in client.calls if name == "authorize_security_group_egress"
                         and p["GroupId"].startswith("sg-q")}
    assert quarantine_egress == {"sg-q-data": [HTTPS_ANYWHERE], "sg-q-web": [HTTPS_ENDPOINTS]}
    revoked = [p["GroupId"] for name, p in client.calls if name == "revoke_security_group_egress"]
    assert revoked == ["sg-q-web", "sg-q-data"]  # AWS's default all-traffic egress
    assert not any(p["GroupId"].startswith("sg-q") for name, p in client.calls if name == "authorize_security_group_ingress")
    assert resolved[WEB]["egress"]["mode"] == "vpc_endpoints" and resolved[DATA]["egress"]["mode"] == "https_anywhere"
    assert len(warnings) == 1 and warnings[0].startswith(f"{DATA}: quarantine egress is tcp/443 to 0.0.0.0/0")
    assert log.changed and {r["stage"] for r in log.records} == {"preparation"}


def prepared(vpc_id, quarantine_egress):
    return [group(f"sg-u-{vpc_id}", "untrack", vpc_id, ingress=[ALL_BOTH], egress_rules=[ALL_BOTH]),
            group(f"sg-q-{vpc_id}", "quarantine", vpc_id, egress_rules=[quarantine_egress])]


def test_groups_already_as_wanted_are_left_alone(fake_client):
    client = ec2(fake_client, groups=prepared(WEB, HTTPS_ENDPOINTS) + prepared(DATA, HTTPS_ANYWHERE))
    log = ActionLog("preparation", False)
    resolved, warnings = prepare(log, client, REGION, [WEB, DATA])
    assert changes(client) == [] and not log.changed
    assert resolved[WEB]["created"] == [] and resolved[WEB]["quarantine_group_ids"] == [f"sg-q-{WEB}"]
    assert len(warnings) == 1 and warnings[0].startswith(f"{DATA}: quarantine egress is tcp/443 to 0.0.0.0/0")


def test_a_quarantine_group_made_before_the_vpc_had_endpoints_is_corrected_with_a_warning(fake_client):
    client = ec2(fake_client, groups=prepared(WEB, HTTPS_ANYWHERE))
    resolved, warnings = prepare(ActionLog("preparation", False), client, REGION, [WEB])
    assert changes(client) == [("revoke_security_group_egress", {"GroupId": f"sg-q-{WEB}", "IpPermissions": [HTTPS_ANYWHERE]}),
                               ("authorize_security_group_egress", {"GroupId": f"sg-q-{WEB}", "IpPermissions": [HTTPS_ENDPOINTS]})]
    assert resolved[WEB]["egress"]["mode"] == "vpc_endpoints"
    assert warnings == [f"{WEB}: aws-ir-quarantine sg-q-{WEB} had egress tcp/443 to 0.0.0.0/0; changed to security group sg-vpce, "
                        "prefix list pl-s3 (interface endpoints for ssm, ssmmessages and ec2messages (private DNS) and an S3 gateway "
                        "endpoint); this applies to every interface in that group"]


def test_a_quarantine_group_that_allows_inbound_is_refused_before_any_change_in_any_vpc(fake_client):
    # aws-ir-quarantine of the data VPC, not tagged by us, allows SSH in: the web VPC, prepared first otherwise, is not touched either.
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    client = ec2(fake_client, groups=[group("sg-q-data", "quarantine", DATA, ingress=[ssh], egress_rules=[HTTPS_ANYWHERE], ours=False)],
                 created=["sg-u-web", "sg-q-web"])
    with pytest.raises(isolation.IsolationError, match="sg-q-data .*has inbound rules"):
        prepare(ActionLog("preparation", False), client, REGION, [WEB, DATA])
    assert changes(client) == []


def test_check_mode_plans_every_call_and_makes_none(fake_client):
    client = ec2(fake_client)
    log = ActionLog("preparation", True)
    resolved, _warnings = prepare(log, client, REGION, [WEB])
    assert changes(client) == []
    assert resolved[WEB]["quarantine_group_ids"] == [f"sg-(new aws-ir-quarantine in {WEB})"]
    assert [(r["action"], r["outcome"]) for r in log.records] == [
        ("CreateSecurityGroup", "planned"), ("AuthorizeSecurityGroupIngress", "planned"), ("AuthorizeSecurityGroupEgress", "planned"),
        ("CreateSecurityGroup", "planned"), ("RevokeSecurityGroupEgress", "planned"), ("AuthorizeSecurityGroupEgress", "planned")]
    assert log.records[-1]["parameters"]["IpPermissions"] == [HTTPS_ENDPOINTS]


def test_no_vpc_reads_and_changes_nothing(fake_client):
    client = fake_client()
    assert prepare(ActionLog("preparation", False), client, REGION, []) == ({}, [])
    assert client.calls == []


def test_groups_a_response_creates_at_the_same_moment_are_used_and_are_no_change_of_this_run(fake_client, aws_error):
    # Both read "no group"; the response's CreateSecurityGroup lands first and AWS answers this run InvalidGroup.Duplicate.
    theirs = {"SecurityGroups": prepared(DATA, HTTPS_ANYWHERE)}
    client = fake_client(describe_vpcs={"Vpcs": [{"VpcId": DATA}]}, describe_vpc_endpoints={"VpcEndpoints": []},
                         describe_security_groups=[{"SecurityGroups": []}, theirs], create_security_group=aws_error("InvalidGroup.Duplicate"))
    log = ActionLog("preparation", False)
    resolved, warnings = prepare(log, client, REGION, [DATA])
    assert (resolved[DATA]["untrack_group_id"], resolved[DATA]["quarantine_group_ids"], resolved[DATA]["created"]) == (
        f"sg-u-{DATA}", [f"sg-q-{DATA}"], [])
    assert [(r["action"], r["error_code"]) for r in log.records] == [("CreateSecurityGroup", "InvalidGroup.Duplicate")] * 2
    assert not log.changed
    assert warnings[:2] == [f"{DATA}: aws-ir-untrack sg-u-{DATA} was created by another run at the same time; this run uses it",
                            f"{DATA}: aws-ir-quarantine sg-q-{DATA} was created by another run at the same time; this run uses it"]
