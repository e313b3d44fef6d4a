import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import isolation

GROUPS = {"vpc-1": {"quarantine_group_id": "sg-q", "untrack_group_id": "sg-u"}}


def eni(eni_id, groups, instance_id="i-1"):
    return {"network_interface_id": eni_id, "vpc_id": "vpc-1", "groups": groups, "instance_id": instance_id}


def quarantine_group(ingress=(), egress=({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443},)):
    return {"GroupId": "sg-q", "GroupName": "aws-ir-quarantine", "VpcId": "vpc-1", "IpPermissions": list(ingress), "IpPermissionsEgress": list(egress)}


def test_quarantine_group_with_any_inbound_rule_is_refused():
    with pytest.raises(isolation.IsolationError, match="sg-q .*has inbound rules"):
        isolation.check_quarantine_group(quarantine_group(ingress=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}]))


def test_quarantine_group_with_egress_other_than_https_is_refused():
    with pytest.raises(isolation.IsolationError, match="allows only tcp/443"):
        isolation.check_quarantine_group(quarantine_group(egress=[{"IpProtocol": "-1"}]))
    isolation.check_quarantine_group(quarantine_group())


def test_interfaces_get_two_steps_unless_already_half_or_fully_isolated():
    plans = isolation.plan_interfaces([eni("eni-a", ["sg-web", "sg-db"]), eni("eni-b", ["sg-u"]), eni("eni-c", ["sg-q"])], GROUPS)
    assert [p["steps"] for p in plans] == [[["sg-u"], ["sg-q"]], [["sg-q"]], []]


def test_every_untrack_step_comes_before_any_quarantine_step(fake_client):
    client = fake_client(modify_network_interface_attribute={"ResponseMetadata": {"RequestId": "r"}})
    plans = isolation.plan_interfaces([eni("eni-a", ["sg-web"]), eni("eni-b", ["sg-web"], "i-2")], GROUPS)
    log = ActionLog("containment", False)
    isolation.swap_interfaces(log, client, plans)
    assert [(p["NetworkInterfaceId"], p["Groups"]) for _n, p in client.calls] == [
        ("eni-a", ["sg-u"]), ("eni-b", ["sg-u"]), ("eni-a", ["sg-q"]), ("eni-b", ["sg-q"])]
    assert log.records[2]["before"] == {"groups": ["sg-u"]} and log.records[0]["before"] == {"groups": ["sg-web"]}


def test_missing_groups_are_created_per_vpc_with_only_https_egress(fake_client):
    created = iter(["sg-new-u", "sg-new-q"])
    client = fake_client(
        create_security_group=lambda p: {"GroupId": next(created), "ResponseMetadata": {"RequestId": "r"}},
        authorize_security_group_ingress={"ResponseMetadata": {"RequestId": "r"}},
        authorize_security_group_egress={"ResponseMetadata": {"RequestId": "r"}},
        revoke_security_group_egress={"ResponseMetadata": {"RequestId": "r"}},
        describe_security_groups={"SecurityGroups": [{"IpPermissionsEgress": [
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}]}]},
    )
    log = ActionLog("containment", False)
    resolved = isolation.ensure_groups(log, client, ["vpc-1"], {"vpc-1": {"quarantine": None, "untrack": None}})
    assert resolved["vpc-1"]["quarantine_group_id"] == "sg-new-q"
    revoke = [p for n, p in client.calls if n == "revoke_security_group_egress"]
    assert revoke == [{"GroupId": "sg-new-q", "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]
    egress = [p["IpPermissions"] for n, p in client.calls if n == "authorize_security_group_egress" and p["GroupId"] == "sg-new-q"]
    assert egress == [[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]]
    ingress = [p for n, p in client.calls if n == "authorize_security_group_ingress"]
    assert ingress[0]["GroupId"] == "sg-new-u"
    assert ingress[0]["IpPermissions"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    assert ingress[0]["IpPermissions"][0]["Ipv6Ranges"] == [{"CidrIpv6": "::/0"}]


def test_check_mode_plans_the_groups_without_calls(fake_client):
    client = fake_client()
    log = ActionLog("containment", True)
    resolved = isolation.ensure_groups(log, client, ["vpc-1"], {"vpc-1": {"quarantine": None, "untrack": None}})
    assert client.calls == []
    assert resolved["vpc-1"]["quarantine_group_id"] == "sg-(new aws-ir-quarantine in vpc-1)"
    assert {r["outcome"] for r in log.records} == {"planned"}
