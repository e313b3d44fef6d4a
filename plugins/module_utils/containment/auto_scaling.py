# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Take the instance out of its Auto Scaling group before it is isolated, and put it back on release if asked.

Termination protection does not stop scale-in or health replacement, and an
isolated instance fails its load balancer health check: left in its group it
would be terminated with its evidence. DetachInstances fails for an instance
that is not InService or Standby, and with ShouldDecrementDesiredCapacity when
the desired capacity would fall below the group's minimum; both are checked
first. MinSize and DesiredCapacity are never changed directly.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import chunks
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

DETACHABLE_STATES = ("InService", "Standby")
# DescribeAutoScalingInstances (50) and AttachInstances / DetachInstances (20) limits.
_DESCRIBE_MAX = 50
_MEMBERS_MAX = 20


class AutoScalingError(AwsIrError, ValueError):
    """A membership that cannot be restored; the message names the group and the instance."""


def read_memberships(client, instance_ids):
    """{instance_id: {"group_name", "lifecycle_state"}} for the instances that are in a group."""
    memberships = {}
    for chunk in chunks(list(instance_ids), _DESCRIBE_MAX):
        for item in paginate(client, "describe_auto_scaling_instances", InstanceIds=chunk)["AutoScalingInstances"]:
            memberships[item["InstanceId"]] = {"group_name": item["AutoScalingGroupName"], "lifecycle_state": item["LifecycleState"]}
    return memberships


def read_groups(client, group_names):
    """{group name: {"min_size", "max_size", "desired_capacity", "load_balancer_names", "target_group_arns"}}."""
    groups = {}
    names = sorted(set(group_names))
    for chunk in chunks(names, _DESCRIBE_MAX):
        for group in paginate(client, "describe_auto_scaling_groups", AutoScalingGroupNames=chunk)["AutoScalingGroups"]:
            groups[group["AutoScalingGroupName"]] = {
                "min_size": group["MinSize"],
                "max_size": group["MaxSize"],
                "desired_capacity": group["DesiredCapacity"],
                "load_balancer_names": group.get("LoadBalancerNames", []),
                "target_group_arns": group.get("TargetGroupARNs", []),
            }
    return groups


_RECORDED = ("min_size", "max_size", "desired_capacity")


def state_before(memberships, groups, instance_id):
    """The instance's Auto Scaling membership as recorded for a release (dict), or None."""
    membership = memberships.get(instance_id)
    if membership is None:
        return None
    group = groups[membership["group_name"]]
    return dict(membership, **{k: group[k] for k in _RECORDED})


def plan_detach(memberships, groups):
    """Decide, per group, which instances to detach and whether to decrement.

    Returns (plans, notes, warnings): plans is a list of {"group_name",
    "instance_ids", "decrement"}; notes is {instance_id: text} for every instance
    in a group, saying what will happen to it and why; warnings is {instance_id:
    text} for the instances a responder must look at (left in the group, or a
    replacement launched).
    """
    plans, notes, warnings = [], {}, {}
    by_group = {}
    for instance_id, membership in sorted(memberships.items()):
        state = membership["lifecycle_state"]
        if state in DETACHABLE_STATES:
            by_group.setdefault(membership["group_name"], []).append(instance_id)
        elif state in ("Detaching", "Detached"):
            notes[instance_id] = f"already leaving Auto Scaling group {membership['group_name']} ({state})"
        else:
            notes[instance_id] = warnings[instance_id] = (
                f"left in Auto Scaling group {membership['group_name']}: lifecycle state {state} cannot be detached "
                "(only InService and Standby can); the group may still replace or terminate it")
    for name, instance_ids in sorted(by_group.items()):
        group = groups[name]
        decrement = group["desired_capacity"] - len(instance_ids) >= group["min_size"]
        plans.append({"group_name": name, "instance_ids": instance_ids, "decrement": decrement})
        for instance_id in instance_ids:
            notes[instance_id] = _detach_note(name, group, decrement, len(instance_ids))
            if not decrement:
                warnings[instance_id] = notes[instance_id]
    return plans, notes, warnings


def _detach_note(name, group, decrement, count):
    if decrement:
        return f"detached from Auto Scaling group {name}, desired capacity decremented"
    desired = group["desired_capacity"]
    return (f"detached from Auto Scaling group {name} WITHOUT decrementing: decrementing would take desired capacity from {desired} "
            f"to {desired - count}, below MinSize {group['min_size']}; the group launches a replacement")


def _detach(log, client, name, instance_ids, decrement):
    parameters = {"AutoScalingGroupName": name, "InstanceIds": instance_ids, "ShouldDecrementDesiredCapacity": decrement}
    log.call(client, "autoscaling", "DetachInstances", name, parameters, instance_ids=instance_ids,
             before={"group_name": name}, after={"group_name": None})


def detach(log, client, plans):
    """DetachInstances for each plan, at most 20 instances per call.

    Returns {instance_id: note} for instances detached without decrementing after all: another run (another
    ticket's instance in the same group) decremented first, and AWS refused to go below MinSize (ValidationError).
    """
    undecremented = {}
    for plan in plans:
        name = plan["group_name"]
        for chunk in chunks(plan["instance_ids"], _MEMBERS_MAX):
            try:
                _detach(log, client, name, chunk, plan["decrement"])
            except is_boto3_error_code("ValidationError"):
                group = read_groups(client, [name]).get(name) if plan["decrement"] else None
                if group is None or group["desired_capacity"] - len(chunk) >= group["min_size"]:
                    raise
                _detach(log, client, name, chunk, False)
                note = _detach_note(name, group, False, len(chunk)) + " (another run had lowered the desired capacity since this run read it)"
                undecremented.update((instance_id, note) for instance_id in chunk)
    return undecremented


def plan_attach(recorded, memberships, groups):
    """Decide which instances go back into the group they were recorded in.

    recorded: {instance_id: recorded auto_scaling state or None}. memberships and
    groups: the current ones (read_memberships, read_groups). Returns (plans,
    notes): plans {group name: [instance ids]}; notes {instance_id: text}. Raises
    AutoScalingError, before any change, when a group is gone or would exceed
    its MaxSize.
    """
    plans, notes = {}, {}
    for instance_id, record in sorted(recorded.items()):
        if record is None:
            continue
        name = record["group_name"]
        current = memberships.get(instance_id)
        if current is not None:
            notes[instance_id] = f"already in Auto Scaling group {current['group_name']} ({current['lifecycle_state']})"
            continue
        if name not in groups:
            raise AutoScalingError(f"restore_auto_scaling_group: Auto Scaling group {name}, recorded for {instance_id}, no longer exists")
        plans.setdefault(name, []).append(instance_id)
    for name, instance_ids in plans.items():
        group = groups[name]
        if group["desired_capacity"] + len(instance_ids) > group["max_size"]:
            raise AutoScalingError(f"restore_auto_scaling_group: attaching {', '.join(instance_ids)} to {name} would raise its desired capacity "
                                   f"{group['desired_capacity']} above MaxSize {group['max_size']}; raise MaxSize first")
        for instance_id in instance_ids:
            notes[instance_id] = f"attached to Auto Scaling group {name} again (desired capacity {group['desired_capacity']} + {len(instance_ids)})"
    return plans, notes


def attach(log, client, plans):
    """AttachInstances for each group, at most 20 instances per call (the group raises its desired capacity by as many)."""
    for name, instance_ids in sorted(plans.items()):
        for chunk in chunks(instance_ids, _MEMBERS_MAX):
            log.call(client, "autoscaling", "AttachInstances", name, {"AutoScalingGroupName": name, "InstanceIds": chunk},
                     instance_ids=chunk, before={"group_name": None}, after={"group_name": name})
