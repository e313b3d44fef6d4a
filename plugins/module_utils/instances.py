# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Finding and reading the target instances, in as few DescribeInstances calls as possible."""

import re

from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import TICKET_TAG_KEY
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import chunks
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

# EC2 instance ids: "i-" and 8 (older) or 17 lowercase hexadecimal digits.
_INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
GONE_STATES = ("shutting-down", "terminated")
# DescribeInstanceTypes takes at most 100 instance types per call.
_TYPES_MAX = 100


class TargetError(AwsIrError, ValueError):
    """A target that cannot be responded to; the message names the field and the value."""


def _as_meant(instance_ids):
    """The ids as the responder meant them: "i-a, i-b" from a command line or a survey gives ["i-a", " i-b"] once
    Ansible splits it on commas, and ids may also be separated by spaces."""
    if not isinstance(instance_ids, list):
        return instance_ids
    return [part for item in instance_ids for part in (item.replace(",", " ").split() if isinstance(item, str) else [item])]


def validate_instance_ids(instance_ids, field="instance_ids"):
    """Raise TargetError for an empty list, a malformed id or a repeated id; return the list (blanks around ids removed)."""
    instance_ids = _as_meant(instance_ids)
    if not instance_ids:
        raise TargetError(f"{field} must name at least one instance (got {instance_ids!r})")
    seen = set()
    for instance_id in instance_ids:
        if not isinstance(instance_id, str) or not _INSTANCE_ID.match(instance_id):
            raise TargetError(f"{field}: {instance_id!r} is not an EC2 instance id (i- followed by 8 or 17 hexadecimal digits)")
        if instance_id in seen:
            raise TargetError(f"{field}: {instance_id!r} is listed twice")
        seen.add(instance_id)
    return instance_ids


def _describe(client, filters):
    reservations = paginate(client, "describe_instances", Filters=filters)["Reservations"]
    return [instance for reservation in reservations for instance in reservation["Instances"]]


def _by_id(client, instance_ids):
    """{instance_id: instance} of those that exist: an instance-id filter (200 ids per call), so unknown ids do not fail the call."""
    found = {}
    for chunk in chunks(list(instance_ids)):
        found.update((i["InstanceId"], i) for i in _describe(client, [{"Name": "instance-id", "Values": chunk}]))
    return found


def describe_instances(client, instance_ids, field="instance_ids"):
    """Describe instances by id; {instance_id: instance (boto3 shape)}, in the order given.

    Raises TargetError naming the field and every id that does not exist.
    """
    found = _by_id(client, instance_ids)
    missing = [i for i in instance_ids if i not in found]
    if missing:
        raise NotFoundError(f"{field}: {', '.join(missing)} not found in {{where}}")
    return {i: found[i] for i in instance_ids}


def instance_states(client, instance_ids):
    """{instance_id: EC2 state name} of those of the instances that exist."""
    return {i: instance["State"]["Name"] for i, instance in _by_id(client, instance_ids).items()}


def find_instances_by_ticket(client, tag_values):
    """{instance_id: instance} of instances tagged IncidentTicket with one of tag_values (list) that are not terminated."""
    filters = [
        {"Name": f"tag:{TICKET_TAG_KEY}", "Values": list(tag_values)},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
    ]
    instances = _describe(client, filters)
    return {i["InstanceId"]: i for i in sorted(instances, key=lambda i: i["InstanceId"])}


def refuse_gone(instances, field="instance_ids"):
    """Raise TargetError naming every instance that is terminated or shutting down."""
    gone = [f"{i} ({inst['State']['Name']})" for i, inst in instances.items() if inst["State"]["Name"] in GONE_STATES]
    if gone:
        raise TargetError(f"{field}: {', '.join(gone)} cannot be responded to: the instance is gone or going")


def network_interfaces(instance):
    """The instance's network interfaces, by device index.

    Returns a list of dicts: network_interface_id, device_index, vpc_id,
    subnet_id, groups (security group ids, in order), group_names ({group id:
    name}), private_ips (IPv4 and IPv6 addresses as strings).
    """
    interfaces = []
    for eni in sorted(instance.get("NetworkInterfaces", []), key=lambda n: n.get("Attachment", {}).get("DeviceIndex", 0)):
        ips = [p["PrivateIpAddress"] for p in eni.get("PrivateIpAddresses", []) if p.get("PrivateIpAddress")]
        ips += [p["Ipv6Address"] for p in eni.get("Ipv6Addresses", []) if p.get("Ipv6Address")]
        interfaces.append({
            "network_interface_id": eni["NetworkInterfaceId"],
            "device_index": eni.get("Attachment", {}).get("DeviceIndex", 0),
            "vpc_id": eni.get("VpcId") or instance.get("VpcId"),
            "subnet_id": eni.get("SubnetId") or instance.get("SubnetId"),
            "groups": [g["GroupId"] for g in eni.get("Groups", [])],
            "group_names": {g["GroupId"]: g.get("GroupName") for g in eni.get("Groups", [])},
            "private_ips": ips or ([eni["PrivateIpAddress"]] if eni.get("PrivateIpAddress") else []),
        })
    return interfaces


def ebs_volumes(instance):
    """The instance's EBS volumes: list of dicts device_name, volume_id, delete_on_termination, boot."""
    root = instance.get("RootDeviceName")
    return [
        {
            "device_name": m["DeviceName"],
            "volume_id": m["Ebs"]["VolumeId"],
            "delete_on_termination": bool(m["Ebs"].get("DeleteOnTermination")),
            "boot": m["DeviceName"] == root,
        }
        for m in instance.get("BlockDeviceMappings", [])
        if "Ebs" in m
    ]


def describe_instance_types(client, instance_types):
    """{instance type: its description (boto3 shape: MemoryInfo, InstanceStorageInfo, ...)} (DescribeInstanceTypes)."""
    described = {}
    for chunk in chunks(sorted(set(instance_types)), _TYPES_MAX):
        described.update((t["InstanceType"], t) for t in paginate(client, "describe_instance_types", InstanceTypes=chunk)["InstanceTypes"])
    return described
