# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Isolate: every network interface into the quarantine group(s) of its VPC, in two steps.

A security-group change alone does not end connections that are already
tracked. Each interface therefore first gets the "untrack" group, which allows
all traffic in both directions for IPv4 and IPv6 (0.0.0.0/0 and ::/0; TCP and UDP
flows allowed that way are not tracked), and then the quarantine group, which has
no inbound rule and only the HTTPS egress the SSM Agent needs (see egress.py).
An interface is never left in the untrack group when a change fails (swap_interfaces).
Flows through NAT gateways, load balancers, transit gateways and endpoints, and
ICMP, stay tracked anyway (see tracking.py).

Groups are changed per interface (ModifyNetworkInterfaceAttribute), never at
the instance level, which fails for instances with several interfaces; a group
belongs to one VPC, so both groups are resolved, or created, in each VPC. The
responder may give quarantine groups of their own (quarantine_group_ids): every
interface then gets the given groups of its VPC, validated before any change.

Naming convention: "aws-ir-quarantine" and "aws-ir-untrack" in every VPC,
tagged IncidentResponseRole=quarantine / untrack.
"""

import re

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import ROLE_TAG_KEY
from ansible_collections.secops.aws_ir.plugins.module_utils.concurrency import each_recorded
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import egress
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import tags_of

QUARANTINE = "quarantine"
UNTRACK = "untrack"
GROUP_NAMES = {QUARANTINE: "aws-ir-quarantine", UNTRACK: "aws-ir-untrack"}
_DESCRIPTIONS = {
    QUARANTINE: "secops.aws_ir quarantine: no inbound rule, HTTPS egress only so SSM keeps working",
    UNTRACK: "secops.aws_ir untrack step: allows all traffic so existing flows become untracked",
}
_EVERYWHERE = {egress.ANYWHERE_V4, egress.ANYWHERE_V6}
# What AWS gives a new group; assumed in check mode, where the group is not created.
_NEW_GROUP_RULES = {"ingress": [], "egress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}
_API = {("authorize", "ingress"): "AuthorizeSecurityGroupIngress", ("authorize", "egress"): "AuthorizeSecurityGroupEgress",
        ("revoke", "ingress"): "RevokeSecurityGroupIngress", ("revoke", "egress"): "RevokeSecurityGroupEgress"}
# What AWS answers when a run at the same time (another ticket in the VPC) made the change first.
_DONE_BY_ANOTHER_RUN = {"authorize": "InvalidPermission.Duplicate", "revoke": "InvalidPermission.NotFound"}
# Security group ids: "sg-" and 8 or 17 lowercase hexadecimal digits.
_GROUP_ID = re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$")


class IsolationError(AwsIrError, ValueError):
    """A quarantine that cannot be trusted or applied; the message names the field, the group and the rule."""


def planned_group_id(role, vpc_id):
    """Stand-in id, in check mode, for a group that would be created."""
    return f"sg-(new {GROUP_NAMES[role]} in {vpc_id})"


def _rules(group):
    return {"ingress": group.get("IpPermissions") or [], "egress": group.get("IpPermissionsEgress") or []}


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


def _where(group):
    return f"security group {group['GroupId']} ({group['GroupName']} in {group['VpcId']})"


def _refuse_inbound(group, field=None):
    if group.get("IpPermissions"):
        prefix = f"{field}: " if field else ""
        raise IsolationError(f"{prefix}{_where(group)} has inbound rules {group['IpPermissions']}: a quarantine group must have none; "
                             "remove them or use another group")


def made_by_us(group, role):
    """Whether the collection made this group: it tags its groups with their role when it creates them."""
    return tags_of(group).get(ROLE_TAG_KEY) == role


def check_quarantine_group(group):
    """Raise IsolationError if an existing quarantine group allows anything inbound, or egress other than tcp/443.

    Extra egress on a group the collection made is what a failed RevokeSecurityGroupEgress
    right after CreateSecurityGroup leaves: the run completes it (ensure_groups) instead.
    """
    _refuse_inbound(group)
    if made_by_us(group, QUARANTINE):
        return
    for rule in group.get("IpPermissionsEgress", []):
        if (rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort")) != egress.HTTPS:
            raise IsolationError(f"{_where(group)} allows egress {rule}: a quarantine group allows only tcp/443; remove the rule or delete the group")


def check_quarantine_groups(existing):
    """check_quarantine_group on each VPC's aws-ir-quarantine found (existing: read_groups)."""
    for found in existing.values():
        if found[QUARANTINE]:
            check_quarantine_group(found[QUARANTINE])


def read_user_groups(client, group_ids, interfaces, field="quarantine_group_ids"):
    """Validate the responder's quarantine groups against the interfaces.

    Returns (by_vpc, described): {vpc_id: [group id, ...]} in the order given, and
    {group id: group (boto3 shape)}.

    Every id must be well formed, listed once, exist, have no inbound rule and be
    in the VPC of one of the interfaces; every interface's VPC must have one.
    interfaces: dicts with network_interface_id, vpc_id and instance_id.
    """
    if not group_ids:
        raise IsolationError(f"{field} is empty ({group_ids!r}): give at least one security group id, or leave it unset to use "
                             f"{GROUP_NAMES[QUARANTINE]} in each VPC")
    for group_id in group_ids:
        if not isinstance(group_id, str) or not _GROUP_ID.match(group_id):
            raise IsolationError(f"{field}: {group_id!r} is not a security group id (sg- followed by 8 or 17 hexadecimal digits); "
                                 "give the group's id, not its name")
        if group_ids.count(group_id) > 1:
            raise IsolationError(f"{field}: {group_id!r} is listed twice")
    found = {g["GroupId"]: g for g in paginate(client, "describe_security_groups", Filters=[{"Name": "group-id", "Values": list(group_ids)}])["SecurityGroups"]}
    missing = [g for g in group_ids if g not in found]
    if missing:
        raise NotFoundError(f"{field}: {', '.join(missing)} not found in {{where}}")
    vpcs = {eni["vpc_id"] for eni in interfaces}
    by_vpc = {}
    for group_id in group_ids:
        group = found[group_id]
        _refuse_inbound(group, field)
        if group["VpcId"] not in vpcs:
            raise IsolationError(f"{field}: {group_id} is in {group['VpcId']}, where no target instance has a network interface "
                                 f"(their interfaces are in {', '.join(sorted(vpcs))}); a group applies only in its own VPC")
        by_vpc.setdefault(group["VpcId"], []).append(group_id)
    for eni in interfaces:
        if eni["vpc_id"] not in by_vpc:
            raise IsolationError(f"{field}: no group in {eni['vpc_id']}, the VPC of network interface {eni['network_interface_id']} "
                                 f"of {eni['instance_id']}; give one group per VPC of the instances' interfaces")
    return by_vpc, found


def _change(log, client, group_id, verb, direction, rule, before, after):
    """Authorize or revoke one rule; a rule another run added or removed first is already as wanted (the refusal stays recorded)."""
    try:
        log.call(client, "ec2", _API[(verb, direction)], group_id, {"GroupId": group_id, "IpPermissions": [rule]},
                 before={direction: before}, after={direction: after})
    except is_boto3_error_code(_DONE_BY_ANOTHER_RUN[verb]):
        pass


def _read_rules(client, group_id):
    return _rules(client.describe_security_groups(aws_retry=True, GroupIds=[group_id])["SecurityGroups"][0])


def _ensure_untrack_rules(log, client, group_id, rules):
    """Add what the untrack group lacks of all traffic, both ways, IPv4 and IPv6; returns the directions changed."""
    changed = []
    for direction in ("ingress", "egress"):
        have = egress.destinations(rules[direction], egress.ALL_TRAFFIC)
        missing = _EVERYWHERE - have
        if missing:
            _change(log, client, group_id, "authorize", direction, egress.permission(egress.ALL_TRAFFIC, missing),
                    egress.text(have), egress.text(have | missing))
            changed.append(direction)
    return changed


def _ensure_quarantine_egress(log, client, group_id, rules, wanted):
    """Make tcp/443 to the wanted destinations the only egress; returns (the tcp/443 destinations before, the other egress removed)."""
    before = egress.destinations(rules["egress"], egress.HTTPS)
    removed = []
    for rule in rules["egress"]:
        protocol = (rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort"))
        if protocol[0] == "-1":
            protocol = egress.ALL_TRAFFIC
        extra = egress.destinations([rule], protocol) - (wanted if protocol == egress.HTTPS else set())
        if extra:
            _change(log, client, group_id, "revoke", "egress", egress.permission(protocol, extra), egress.text(extra), "removed")
            if protocol != egress.HTTPS:
                removed.append(f"{'all traffic' if protocol == egress.ALL_TRAFFIC else '/'.join(map(str, protocol))} to {egress.text(extra)}")
    missing = wanted - before
    if missing:
        _change(log, client, group_id, "authorize", "egress", egress.permission(egress.HTTPS, missing),
                egress.text(before & wanted), egress.text(wanted))
    return before, removed


def _create_group(log, client, vpc_id, role):
    """CreateSecurityGroup; returns (group id, its rules as AWS created them), or None when another run created it first."""
    name = GROUP_NAMES[role]
    parameters = {
        "GroupName": name,
        "Description": _DESCRIPTIONS[role],
        "VpcId": vpc_id,
        "TagSpecifications": boto3_tag_specifications({"Name": name, ROLE_TAG_KEY: role}, types=["security-group"]),
    }
    try:
        response = log.call(client, "ec2", "CreateSecurityGroup", vpc_id, parameters, after={"group_name": name},
                            after_from=lambda r: {"group_name": name, "group_id": r["GroupId"]})
    except is_boto3_error_code("InvalidGroup.Duplicate"):
        return None
    if response is None:
        return planned_group_id(role, vpc_id), _NEW_GROUP_RULES
    return response["GroupId"], _read_rules(client, response["GroupId"])


def _other_runs_group(client, vpc_id, role, warnings):
    """(group id, rules) of the group another run created between this run's read and its CreateSecurityGroup."""
    group = read_groups(client, [vpc_id])[vpc_id][role]
    if group is None:
        raise IsolationError(f"{vpc_id}: CreateSecurityGroup {GROUP_NAMES[role]} was refused as a duplicate, yet no group of that name "
                             "is found there; run respond.yml again")
    if role == QUARANTINE:
        check_quarantine_group(group)
    warnings.append(f"{vpc_id}: {GROUP_NAMES[role]} {group['GroupId']} was created by another run at the same time; this run uses it")
    return group["GroupId"], _rules(group)


def _group(log, client, vpc_id, role, existing, created, warnings):
    """(group id, rules) of the VPC's group for role, created when missing; created lists the names this run created."""
    group = existing[vpc_id][role]
    if group is not None:
        return group["GroupId"], _rules(group)
    made = _create_group(log, client, vpc_id, role)
    if made is None:
        return _other_runs_group(client, vpc_id, role, warnings)
    created.append(GROUP_NAMES[role])
    return made


def _is_new(existing, vpc_id, role):
    """Whether the group was missing when read: made by this run or one running at the same time, so rules it still lacks are no repair."""
    return existing[vpc_id][role] is None


def _untrack_group(log, client, vpc_id, existing, created, warnings):
    """The VPC's untrack group id, created or completed."""
    group_id, rules = _group(log, client, vpc_id, UNTRACK, existing, created, warnings)
    if _ensure_untrack_rules(log, client, group_id, rules) and not _is_new(existing, vpc_id, UNTRACK):
        warnings.append(f"{vpc_id}: {GROUP_NAMES[UNTRACK]} {group_id} did not allow all traffic both ways for IPv4 and IPv6; "
                        "the missing rules were added")
    return group_id


def _our_quarantine_group(log, client, vpc_id, existing, created, choice, warnings):
    """([the VPC's aws-ir-quarantine id], egress summary), created or with its egress set to the choice."""
    group_id, rules = _group(log, client, vpc_id, QUARANTINE, existing, created, warnings)
    before, removed = _ensure_quarantine_egress(log, client, group_id, rules, choice["destinations"])
    new = _is_new(existing, vpc_id, QUARANTINE)
    if not new and removed:
        # Only a group of ours gets here with other egress (check_quarantine_group): an earlier run that stopped while making it.
        warnings.append(f"{vpc_id}: {GROUP_NAMES[QUARANTINE]} {group_id}, made by an earlier run that stopped before completing it, "
                        f"still allowed egress {'; '.join(removed)}; repaired: that egress was revoked")
    if not new and before != choice["destinations"]:
        warnings.append(f"{vpc_id}: {GROUP_NAMES[QUARANTINE]} {group_id} had egress tcp/443 to {egress.text(before)}; "
                        f"changed to {egress.text(choice['destinations'])} ({choice['reason']}); this applies to every interface in that group")
    return [group_id], {"mode": choice["mode"], "destinations": egress.text(choice["destinations"]), "reason": choice["reason"]}


def _given_quarantine_groups(vpc_id, user_groups):
    """(the given group ids of the VPC, egress summary); their rules are used as they are."""
    by_vpc, described = user_groups
    group_ids = by_vpc[vpc_id]
    given = set().union(*(egress.destinations(described[g].get("IpPermissionsEgress", []), egress.HTTPS) for g in group_ids))
    return group_ids, {"mode": egress.MODE_USER_GROUPS, "destinations": egress.text(given),
                       "reason": f"quarantine_group_ids given: {', '.join(group_ids)} (their egress is kept as it is)"}


def ensure_groups(log, client, vpc_ids, existing, choices, user_groups=None):
    """Resolve, create or correct each VPC's groups; returns ({vpc_id: resolved}, {vpc_id: [warning]}).

    resolved: {"quarantine_group_ids", "quarantine_group_id" (the first), "untrack_group_id",
    "created" (names), "egress": {"mode", "destinations", "reason"}}.
    choices: {vpc_id: egress.choose(...)}. user_groups: (by_vpc, described) from
    read_user_groups, or None to use aws-ir-quarantine.
    """
    resolved, warnings = {}, {}
    for vpc_id in sorted(vpc_ids):
        created, found = [], warnings.setdefault(vpc_id, [])
        untrack_id = _untrack_group(log, client, vpc_id, existing, created, found)
        if user_groups is None:
            quarantine_ids, summary = _our_quarantine_group(log, client, vpc_id, existing, created, choices[vpc_id], found)
        else:
            quarantine_ids, summary = _given_quarantine_groups(vpc_id, user_groups)
        resolved[vpc_id] = {"quarantine_group_ids": quarantine_ids, "quarantine_group_id": quarantine_ids[0],
                            "untrack_group_id": untrack_id, "created": created, "egress": summary}
    return resolved, warnings


def plan_interfaces(interfaces, groups):
    """Per interface: {"network_interface_id", "vpc_id", "instance_id", "groups_before", "steps"}; steps are group-id lists in order."""
    plans = []
    for eni in interfaces:
        target = groups[eni["vpc_id"]]
        quarantine, untrack = target["quarantine_group_ids"], [target["untrack_group_id"]]
        steps = []
        if sorted(eni["groups"]) != sorted(quarantine):
            if eni["groups"] != untrack:
                steps.append(untrack)
            steps.append(quarantine)
        plans.append({"network_interface_id": eni["network_interface_id"], "vpc_id": eni["vpc_id"], "instance_id": eni["instance_id"],
                      "groups_before": eni["groups"], "steps": steps, "untrack_groups": untrack})
    return plans


def swap_interfaces(log, client, plans):
    """Apply every interface's first step of two (untrack) first, then every interface's last step.

    The interfaces of a step change concurrently. Fails closed: an interface is never left in its
    untrack group, which allows all traffic. When a change fails, no further interface is
    untracked, the interfaces already untracked still get their last step, the others are left as
    they were (a re-run takes both steps), and one whose last step fails goes back to its groups
    before; then IsolationError says where each interface is. A plan's "untrack_groups" (absent
    for a release) names its untrack group.
    """
    current = {p["network_interface_id"]: p["groups_before"] for p in plans}
    failures, restored = {}, set()

    def apply(branch, plan, groups):
        eni_id = plan["network_interface_id"]
        try:
            branch.call(client, "ec2", "ModifyNetworkInterfaceAttribute", eni_id, {"NetworkInterfaceId": eni_id, "Groups": groups},
                        instance_ids=[plan["instance_id"]], before={"groups": current[eni_id]}, after={"groups": groups})
        except (ClientError, BotoCoreError) as e:
            failures.setdefault(eni_id, e)
            return False
        current[eni_id] = groups
        return True

    def untracked(plan):
        return current[plan["network_interface_id"]] == plan.get("untrack_groups")

    def untrack(branch, plan):
        if not failures:
            apply(branch, plan, plan["steps"][0])

    def quarantine(branch, plan):
        if not apply(branch, plan, plan["steps"][-1]) and untracked(plan) and plan["groups_before"] != plan["untrack_groups"]:
            if apply(branch, plan, plan["groups_before"]):
                restored.add(plan["network_interface_id"])

    each_recorded(log, untrack, [p for p in plans if len(p["steps"]) == 2])
    each_recorded(log, quarantine, [p for p in plans if p["steps"] and (not failures or untracked(p))])
    if failures:
        _fail_closed_in_order(plans, failures, restored, [p["network_interface_id"] for p in plans if untracked(p)], current)


def _fail_closed_in_order(plans, failures, restored, exposed, current):
    """_fail_closed with the failed and restored interfaces in the plans' order."""
    order = [p["network_interface_id"] for p in plans]
    _fail_closed([(e, failures[e]) for e in order if e in failures], [e for e in order if e in restored], exposed, current)


def _fail_closed(failures, restored, exposed, current):
    """Raise the only error when nothing was done after it, else IsolationError saying where each interface is."""
    if len(failures) == 1 and not restored and not exposed:
        raise failures[0][1]
    errors = "; ".join(f"{eni_id}: {_error_text(e)}" for eni_id, e in failures)
    where = [f"{eni_id} is back in its groups before ({', '.join(current[eni_id])}), NOT isolated" for eni_id in restored]
    where += [f"{eni_id} is left in {GROUP_NAMES[UNTRACK]}, which allows all traffic: put it in a quarantine group by hand" for eni_id in exposed]
    raise IsolationError(f"ModifyNetworkInterfaceAttribute failed ({errors}); {'; '.join(where) or 'no interface is left in an untrack group'}. "
                         "Fix the cause and run again: the next run isolates what is missing")


def _error_text(error):
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code')}: {details.get('Message')}"
    return f"{type(error).__name__}: {error}"
