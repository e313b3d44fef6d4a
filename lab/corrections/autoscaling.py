"""DetachInstances as AWS does it: validated, and deregistering the instances from the group's target groups."""
from lab import moto_state
from lab.corrections.params import is_true, numbered
from lab.wire import error_response


def _error(call, message):
    return error_response(call.protocol, "ValidationError", message, 400)


def _group(call, account):
    backend = moto_state.backend("autoscaling", account, call.region)
    return backend.autoscaling_groups.get(call.params.get("AutoScalingGroupName", ""))


def detach_instances(call, account):
    """Unknown group, instances not in it (detached twice), or desired capacity below min size.

    (AWS also refuses instances that are not InService or Standby; moto has no other lifecycle state.)
    """
    name = call.params.get("AutoScalingGroupName", "")
    group = _group(call, account)
    if group is None:
        return _error(call, f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
    members = {state.instance.id for state in group.instance_states}
    instance_ids = numbered(call.params, "InstanceIds.member")
    for instance_id in instance_ids:
        if instance_id not in members:
            return _error(call, f"The instance {instance_id} is not part of Auto Scaling group {name}.")
    if is_true(call.params.get("ShouldDecrementDesiredCapacity")) and group.desired_capacity - len(instance_ids) < group.min_size:
        return _error(call, f"Currently, desiredSize equals minSize ({group.min_size}). Detaching instance(s) with "
                            "ShouldDecrementDesiredCapacity flag set will result in desiredSize below minSize. Please call "
                            "DetachInstances with ShouldDecrementDesiredCapacity flag set to false or update your AutoScalingGroup.")
    return None


def after_detach_instances(call, account):
    """AWS deregisters detached instances from the group's target groups; moto only does it for classic ELBs."""
    group = _group(call, account)
    elbv2 = moto_state.backend("elbv2", account, call.region)
    for arn in group.target_group_arns if group else []:
        target_group = elbv2.target_groups.get(arn)
        for instance_id in numbered(call.params, "InstanceIds.member"):
            if target_group is not None and instance_id in target_group.targets:
                target_group.deregister([{"Id": instance_id}])
