# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Isolate: every network interface into the quarantine group of its VPC, in two steps.

A security-group change alone does not end connections that are already
tracked. Each interface therefore first gets the "untrack" group, which allows
all traffic in both directions for IPv4 and IPv6 (flows allowed that way are not
tracked), and then the quarantine group, which has no inbound rule and only
HTTPS egress, so the SSM Agent keeps reaching Systems Manager and S3.

Groups are changed per interface (ModifyNetworkInterfaceAttribute), never at
the instance level, which fails for instances with several interfaces; a group
belongs to one VPC, so both groups are resolved, or created, in each VPC.

Naming convention: "aws-ir-quarantine" and "aws-ir-untrack" in every VPC,
tagged IncidentResponseRole=quarantine / untrack.
"""

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import ROLE_TAG_KEY
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

QUARANTINE = "quarantine"
UNTRACK = "untrack"
GROUP_NAMES = {QUARANTINE: "aws-ir-quarantine", UNTRACK: "aws-ir-untrack"}
_DESCRIPTIONS = {
    QUARANTINE: "secops.aws_ir quarantine: no inbound rule, HTTPS egress only so SSM keeps working",
    UNTRACK: "secops.aws_ir untrack step: allows all traffic so existing flows become untracked",
}
_ALL_TRAFFIC = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
_HTTPS_ANYWHERE = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
EGRESS_HTTPS_ANYWHERE = "tcp/443 to 0.0.0.0/0"


class IsolationError(AwsIrError, ValueError):
    """A quarantine that cannot be trusted; the message names the group and the rule."""


def planned_group_id(role, vpc_id):
    """Stand-in id, in check mode, for a group that would be created."""
    return f"sg-(new {GROUP_NAMES[role]} in {vpc_id})"


def read_groups(client, vpc_ids):
    """{vpc_id: {"quarantine": group or None, "untrack": group or None}} (boto3 group shapes)."""
    found = {vpc_id: {QUARANTINE: None, UNTRACK: None} for vpc_id in vpc_ids}
    if not vpc_ids:
        return found
    filters = [{"Name": "vpc-id", "Values": sorted(vpc_ids)}, {"Name": "group-name", "Values": sorted(GROUP_NAMES.values())}]
    by_name = {name: role for role, name in GROUP_NAMES.items()}
    for group in paginate(client, "describe_security_groups", Filters=filters)["SecurityGroups"]:
        found[group["VpcId"]][by_name[group["GroupName"]]] = group
    return found


def check_quarantine_group(group):
    """Raise IsolationError if an existing quarantine group allows anything inbound or more than HTTPS out."""
    where = f"security group {group['GroupId']} ({group['GroupName']} in {group['VpcId']})"
    if group.get("IpPermissions"):
        raise IsolationError(f"{where} has inbound rules {group['IpPermissions']}: a quarantine group must have none; remove them or delete the group")
    for rule in group.get("IpPermissionsEgress", []):
        if (rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort")) != ("tcp", 443, 443):
            raise IsolationError(f"{where} allows egress {rule}: a quarantine group allows only tcp/443; remove the rule or delete the group")


def ensure_groups(log, client, vpc_ids, existing):
    """Create the groups missing in each VPC; {vpc_id: {"quarantine_group_id", "untrack_group_id", "created", "egress"}}."""
    resolved = {}
    for vpc_id in sorted(vpc_ids):
        ids, created = {}, []
        for role in (UNTRACK, QUARANTINE):
            group = existing[vpc_id][role]
            if group is None:
                ids[role] = _create_group(log, client, vpc_id, role)
                created.append(GROUP_NAMES[role])
            else:
                ids[role] = group["GroupId"]
        resolved[vpc_id] = {"quarantine_group_id": ids[QUARANTINE], "untrack_group_id": ids[UNTRACK],
                            "created": created, "egress": EGRESS_HTTPS_ANYWHERE}
    return resolved


def _create_group(log, client, vpc_id, role):
    name = GROUP_NAMES[role]
    parameters = {
        "GroupName": name,
        "Description": _DESCRIPTIONS[role],
        "VpcId": vpc_id,
        "TagSpecifications": boto3_tag_specifications({"Name": name, ROLE_TAG_KEY: role}, types=["security-group"]),
    }
    response = log.call(client, "ec2", "CreateSecurityGroup", vpc_id, parameters, after={"group_name": name},
                        after_from=lambda r: {"group_name": name, "group_id": r["GroupId"]})
    group_id = response["GroupId"] if response else planned_group_id(role, vpc_id)
    if role == QUARANTINE:
        _only_https_out(log, client, group_id, response is not None)
    else:
        _allow_everything(log, client, group_id)
    return group_id


def _only_https_out(log, client, group_id, exists):
    # A new group allows all egress; read what AWS created so every default rule is removed.
    egress = _egress_rules(client, group_id) if exists else [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    if egress:
        log.call(client, "ec2", "RevokeSecurityGroupEgress", group_id, {"GroupId": group_id, "IpPermissions": egress},
                 before={"egress": egress}, after={"egress": []})
    log.call(client, "ec2", "AuthorizeSecurityGroupEgress", group_id, {"GroupId": group_id, "IpPermissions": [_HTTPS_ANYWHERE]},
             after={"egress": [_HTTPS_ANYWHERE]})


def _egress_rules(client, group_id):
    group = client.describe_security_groups(aws_retry=True, GroupIds=[group_id])["SecurityGroups"][0]
    return [_rule_for_revoke(rule) for rule in group.get("IpPermissionsEgress", [])]


def _rule_for_revoke(rule):
    keys = ("IpProtocol", "FromPort", "ToPort", "IpRanges", "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs")
    return {k: rule[k] for k in keys if rule.get(k) not in (None, [])}


def _allow_everything(log, client, group_id):
    log.call(client, "ec2", "AuthorizeSecurityGroupIngress", group_id, {"GroupId": group_id, "IpPermissions": [_ALL_TRAFFIC]},
             after={"ingress": [_ALL_TRAFFIC]})
    # New groups already allow all IPv4 egress; add IPv6 so flows of both families become untracked.
    ipv6_out = {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
    log.call(client, "ec2", "AuthorizeSecurityGroupEgress", group_id, {"GroupId": group_id, "IpPermissions": [ipv6_out]},
             after={"egress": [ipv6_out]})


def plan_interfaces(interfaces, groups):
    """Per interface: {"network_interface_id", "vpc_id", "groups_before", "steps"}; steps are group-id lists to apply in order."""
    plans = []
    for eni in interfaces:
        target = groups[eni["vpc_id"]]
        quarantine, untrack = target["quarantine_group_id"], target["untrack_group_id"]
        steps = []
        if eni["groups"] != [quarantine]:
            if eni["groups"] != [untrack]:
                steps.append([untrack])
            steps.append([quarantine])
        plans.append({"network_interface_id": eni["network_interface_id"], "vpc_id": eni["vpc_id"],
                      "instance_id": eni["instance_id"], "groups_before": eni["groups"], "steps": steps})
    return plans


def swap_interfaces(log, client, plans):
    """Apply every interface's untrack step first, then every interface's quarantine step."""
    current = {p["network_interface_id"]: p["groups_before"] for p in plans}
    untrack_steps = [(p, p["steps"][0]) for p in plans if len(p["steps"]) == 2]
    quarantine_steps = [(p, p["steps"][-1]) for p in plans if p["steps"]]
    for plan, groups in untrack_steps + quarantine_steps:
        eni_id = plan["network_interface_id"]
        log.call(client, "ec2", "ModifyNetworkInterfaceAttribute", eni_id, {"NetworkInterfaceId": eni_id, "Groups": groups},
                 instance_ids=[plan["instance_id"]], before={"groups": current[eni_id]}, after={"groups": groups})
        current[eni_id] = groups
