# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Protect: keep the instance and its disks from being terminated, stopped or deleted; on release, set them back.

DisableApiTermination=True turns termination protection ON; DisableApiStop=True
turns stop protection on. A shutdown from inside the instance with the behaviour
"terminate" bypasses termination protection, so the behaviour is set to "stop".
DeleteOnTermination=False keeps every EBS volume if the instance is terminated
anyway. One attribute per ModifyInstanceAttribute call, as the API requires; a
release sets each one back to its recorded value the same way.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.concurrency import map_concurrently
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import ebs_volumes

# (DescribeInstanceAttribute name, key in its answer, protected value), in the order applied.
PROTECTED_ATTRIBUTES = (
    ("disableApiTermination", "DisableApiTermination", True),
    ("disableApiStop", "DisableApiStop", True),
    ("instanceInitiatedShutdownBehavior", "InstanceInitiatedShutdownBehavior", "stop"),
)


def read_attributes(client, instance_ids):
    """{instance_id: {DisableApiTermination: bool, DisableApiStop: bool, InstanceInitiatedShutdownBehavior: str}} now.

    DescribeInstanceAttribute answers one attribute of one instance: the pairs are read concurrently.
    """
    pairs = [(i, attribute, key) for i in instance_ids for attribute, key, _protected in PROTECTED_ATTRIBUTES]

    def read(pair):
        instance_id, attribute, key = pair
        return client.describe_instance_attribute(aws_retry=True, InstanceId=instance_id, Attribute=attribute)[key]["Value"]
    values = {i: {} for i in instance_ids}
    for (instance_id, _attribute, key), value in zip(pairs, map_concurrently(read, pairs)):
        values[instance_id][key] = value
    return values


def delete_on_termination(instance):
    """{device name: DeleteOnTermination} for the instance's EBS volumes."""
    return {v["device_name"]: v["delete_on_termination"] for v in ebs_volumes(instance)}


def _modify_parameters(instance_id, key, value):
    if key == "InstanceInitiatedShutdownBehavior":
        # The Attribute/Value form is valid on AWS; the {"Value": ...} form for this attribute is not honoured by every implementation.
        return {"InstanceId": instance_id, "Attribute": "instanceInitiatedShutdownBehavior", "Value": value}
    return {"InstanceId": instance_id, key: {"Value": value}}


def set_attributes(log, client, instance_id, current, wanted, spot):
    """Set each attribute whose current value differs from wanted, one ModifyInstanceAttribute each.

    current and wanted: {DisableApiTermination, DisableApiStop,
    InstanceInitiatedShutdownBehavior}. spot: Spot instances refuse termination
    protection (UnsupportedOperation), so enabling it is skipped and reported.
    Returns (the values after, warnings).
    """
    after = dict(current)
    warnings = []
    for _attribute, key, _protected in PROTECTED_ATTRIBUTES:
        if key not in wanted or current[key] == wanted[key]:
            continue
        if key == "DisableApiTermination" and wanted[key] and spot:
            warnings.append(f"{instance_id}: Spot instance, termination protection cannot be enabled (AWS refuses it); the other protections apply")
            continue
        try:
            log.call(client, "ec2", "ModifyInstanceAttribute", instance_id, _modify_parameters(instance_id, key, wanted[key]),
                     instance_ids=[instance_id], before={key: current[key]}, after={key: wanted[key]})
        except is_boto3_error_code("UnsupportedOperation"):
            warnings.append(f"{instance_id}: {key} cannot be changed on this instance (UnsupportedOperation); the other attributes apply")
            continue
        after[key] = wanted[key]
    return after, warnings


def set_delete_on_termination(log, client, instance_id, current, wanted):
    """One ModifyInstanceAttribute with every EBS device whose DeleteOnTermination differs from wanted; returns the flags after.

    current and wanted: {device name: bool}; devices not in both are left alone.
    """
    changes = sorted(d for d in current if d in wanted and current[d] != wanted[d])
    if not changes:
        return dict(current)
    mappings = [{"DeviceName": d, "Ebs": {"DeleteOnTermination": wanted[d]}} for d in changes]
    log.call(client, "ec2", "ModifyInstanceAttribute", instance_id, {"InstanceId": instance_id, "BlockDeviceMappings": mappings},
             instance_ids=[instance_id], before={"DeleteOnTermination": {d: current[d] for d in changes}},
             after={"DeleteOnTermination": {d: wanted[d] for d in changes}})
    return dict(current, **{d: wanted[d] for d in changes})


def protect_instance(log, client, instance_id, attributes, devices, spot):
    """Apply every protection the instance lacks; returns (after attributes, after devices, warnings).

    attributes: the instance's current values from read_attributes. devices: the current
    {device: DeleteOnTermination}.
    """
    wanted = {key: protected for _attribute, key, protected in PROTECTED_ATTRIBUTES}
    after, warnings = set_attributes(log, client, instance_id, attributes, wanted, spot)
    return after, set_delete_on_termination(log, client, instance_id, devices, {d: False for d in devices}), warnings
