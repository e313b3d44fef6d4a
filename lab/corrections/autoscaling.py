"""Auto Scaling as AWS does it: DetachInstances validated and deregistering from target groups and classic ELBs; lifecycle states.

moto has only the InService and Standby lifecycle states. An instance tagged
``lab:asg-lifecycle-state`` (for example ``Pending:Wait`` or ``Terminating``) is shown in that
state by every Auto Scaling answer, as AWS shows an instance held by a lifecycle hook.
"""
from lab import moto_state
from lab.corrections import elb, elbv2
from lab.corrections.params import is_true, numbered
from lab.wire import error_response

LIFECYCLE_TAG = "lab:asg-lifecycle-state"
DETACHABLE = ("InService", "Standby")


def _error(call, message):
    return error_response(call.protocol, "ValidationError", message, 400)


def _backend(call, account):
    return moto_state.backend("autoscaling", account, call.region)


def apply_lifecycle_tags(call, account):
    """Give every group member the lifecycle state its lab:asg-lifecycle-state tag names (moto then answers)."""
    for group in _backend(call, account).autoscaling_groups.values():
        for state in group.instance_states:
            wanted = moto_state.ec2_tags(account, call.region, state.instance.id).get(LIFECYCLE_TAG)
            if wanted:
                state.lifecycle_state = wanted


def detach_instances(call, account):
    """Unknown group, instances not in it (detached twice) or not InService/Standby, or desired capacity below min size."""
    apply_lifecycle_tags(call, account)
    name = call.params.get("AutoScalingGroupName", "")
    group = _backend(call, account).autoscaling_groups.get(name)
    if group is None:
        return _error(call, f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
    members = {state.instance.id: state.lifecycle_state for state in group.instance_states}
    instance_ids = numbered(call.params, "InstanceIds.member")
    for instance_id in instance_ids:
        if instance_id not in members:
            return _error(call, f"The instance {instance_id} is not part of Auto Scaling group {name}.")
        if members[instance_id] not in DETACHABLE:
            return _error(call, f"The instance {instance_id} is not in InService or Standby (its lifecycle state is {members[instance_id]}).")
    if is_true(call.params.get("ShouldDecrementDesiredCapacity")) and group.desired_capacity - len(instance_ids) < group.min_size:
        return _error(call, f"Currently, desiredSize equals minSize ({group.min_size}). Detaching instance(s) with "
                            "ShouldDecrementDesiredCapacity flag set will result in desiredSize below minSize. Please call "
                            "DetachInstances with ShouldDecrementDesiredCapacity flag set to false or update your AutoScalingGroup.")
    return None


def after_detach_instances(call, account):
    """AWS deregisters detached instances from the group's target groups and classic ELBs; moto only from classic ELBs, and only what the group registered."""
    group = _backend(call, account).autoscaling_groups.get(call.params.get("AutoScalingGroupName", ""))
    detached = numbered(call.params, "InstanceIds.member")
    elb.deregister(account, call.region, group.load_balancer_names if group else [], detached)
    backend = moto_state.backend("elbv2", account, call.region)
    for arn in group.target_group_arns if group else []:
        target_group = backend.target_groups.get(arn)
        if target_group is not None:
            elbv2.drain(target_group, [i for i in detached if i in target_group.targets])
