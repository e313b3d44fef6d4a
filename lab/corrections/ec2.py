"""EC2 checks moto skips: security groups per interface, spot termination protection, tag rules."""
from moto.ec2.models.elastic_network_interfaces import NetworkInterface

from lab import moto_state
from lab.corrections.params import is_true, numbered, numbered_structs
from lab.wire import error_response


def _error(call, code, message):
    return error_response(call.protocol, code, message, 400)


def _ec2(call, account):
    return moto_state.backend("ec2", account, call.region)


def _group_error(call, backend, group_ids, vpc_id):
    """InvalidGroup.NotFound for a group that does not exist, or exists in another VPC than the interface's."""
    for group_id in group_ids:
        group = backend.get_security_group_from_id(group_id)
        if group is None:
            return _error(call, "InvalidGroup.NotFound", f"The security group '{group_id}' does not exist")
        if vpc_id and group.vpc_id != vpc_id:
            return _error(call, "InvalidGroup.NotFound", f"The security group '{group_id}' does not exist in VPC '{vpc_id}'")
    return None


def _enables_termination_protection(params):
    if "DisableApiTermination.Value" in params:
        return is_true(params["DisableApiTermination.Value"])
    return params.get("Attribute") == "disableApiTermination" and is_true(params.get("Value"))


def modify_instance_attribute(call, account):
    """Groups on a multi-interface instance, unknown or foreign groups, termination protection on Spot."""
    backend = _ec2(call, account)
    instance = backend.get_instance_by_id(call.params.get("InstanceId", ""))
    if instance is None:
        return None
    group_ids = numbered(call.params, "GroupId")
    if group_ids:
        if len(instance.nics) > 1:
            return _error(call, "InvalidInstanceID", f"There are multiple interfaces attached to instance '{instance.id}'. "
                                                     "Please specify an interface ID for the operation instead.")
        return _group_error(call, backend, group_ids, instance.vpc_id)
    if _enables_termination_protection(call.params) and instance.lifecycle == "spot":
        return _error(call, "UnsupportedOperation", "Termination protection is not supported for Spot Instances.")
    return None


def modify_network_interface_attribute(call, account):
    """Groups that do not exist, or belong to another VPC than the interface."""
    group_ids = numbered(call.params, "SecurityGroupId")
    if not group_ids:
        return None
    backend = _ec2(call, account)
    interface = backend.get_network_interface(call.params.get("NetworkInterfaceId", ""))
    if interface is None:
        return None
    return _group_error(call, backend, group_ids, interface.subnet.vpc_id)


def _tag_specifications(params):
    """[[tag, ...] per TagSpecification.N] of a creating call (RunInstances, CreateSnapshots, CopySnapshot ...)."""
    count = len(numbered_structs(params, "TagSpecification"))
    return [numbered_structs(params, f"TagSpecification.{index}.Tag") for index in range(1, count + 1)]


def _tag_error(call, tags):
    """InvalidParameterValue for a reserved aws: key, a key > 128 or a value > 256 characters, else None."""
    for tag in tags:
        key, value = tag.get("Key", ""), tag.get("Value", "")
        if key.lower().startswith("aws:"):
            return _error(call, "InvalidParameterValue",
                          f"Value ( {key} ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use")
        if len(key) > 128:
            return _error(call, "InvalidParameterValue", f"Tag key exceeds the maximum length of 128 characters: {key[:20]}...")
        if len(value) > 256:
            return _error(call, "InvalidParameterValue", f"Tag value exceeds the maximum length of 256 characters for key {key}")
    return None


def tag_rules(call):
    """The tag rules moto skips: aws: keys and lengths in CreateTags and in TagSpecifications, and 50 tags at creation.

    (moto enforces the 50-tag limit itself in CreateTags.)
    """
    for tags in _tag_specifications(call.params):
        if len(tags) > 50:
            return _error(call, "TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
        refused = _tag_error(call, tags)
        if refused:
            return refused
    return _tag_error(call, numbered_structs(call.params, "Tag"))


def check_tags(call, account):
    """A correction that only applies the tag rules."""
    del account
    return tag_rules(call)


def after_modify_instance_attribute(call, account):
    """moto changes only the instance's groups; on AWS they are the primary interface's groups."""
    if not numbered(call.params, "GroupId"):
        return
    instance = _ec2(call, account).get_instance_by_id(call.params.get("InstanceId", ""))
    if instance is not None and 0 in instance.nics:
        instance.nics[0]._group_set = list(instance.security_groups)  # pylint: disable=protected-access


def after_modify_network_interface_attribute(call, account):
    """moto shows an attached interface's groups merged with the instance's launch groups: keep the two equal."""
    if not numbered(call.params, "SecurityGroupId"):
        return
    interface = _ec2(call, account).get_network_interface(call.params.get("NetworkInterfaceId", ""))
    if interface is not None and interface.instance is not None and interface.device_index == 0:
        interface.instance.security_groups = list(interface._group_set)  # pylint: disable=protected-access


def _own_groups(interface):
    return interface._group_set  # pylint: disable=protected-access


def install():
    """Each interface shows its own groups (moto shows an attached interface's merged with its instance's launch groups).

    The primary interface's groups and the instance's are kept equal by the two "after" hooks above,
    so only a secondary interface's answer changes.
    """
    NetworkInterface.group_set = property(_own_groups)
