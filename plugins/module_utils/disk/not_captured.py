# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the snapshots of an instance do not capture, and why, so that the evidence says so.

Instance-store volumes: DescribeInstances lists only EBS volumes in BlockDeviceMappings; the instance
store an instance has comes from its type (DescribeInstanceTypes,
InstanceStorageInfo). NVMe instance-store disks are always attached; non-NVMe
ones only when the AMI or the launch mapped them (ephemeralN), which no EC2
API reports after launch.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.retry import chunks
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

# DescribeInstanceTypes takes at most 100 instance types per call.
_TYPES_MAX = 100
INSTANCE_STORE_REASON = ("instance-store volume: EBS snapshots cannot capture it, and its data is lost when the instance "
                         "stops, hibernates or terminates; image it from inside the running instance if it may hold evidence")
NON_NVME = " (non-NVMe: attached only if the AMI or the launch mapped it, which the EC2 API does not report)"
STATUS = "not_captured"


def instance_storage(client, instance_types):
    """{instance type: its InstanceStorageInfo, or None when it has no instance store} (DescribeInstanceTypes)."""
    info = {}
    for chunk in chunks(sorted(set(instance_types)), _TYPES_MAX):
        for described in paginate(client, "describe_instance_types", InstanceTypes=chunk)["InstanceTypes"]:
            info[described["InstanceType"]] = described.get("InstanceStorageInfo")
    return info


def instance_store_disks(info):
    """One "not captured" entry per instance-store disk of a type's InstanceStorageInfo (list of dicts)."""
    if not info:
        return []
    nvme = info.get("NvmeSupport")
    reason = INSTANCE_STORE_REASON + ("" if nvme == "required" else NON_NVME)
    disks = [disk for disk in info.get("Disks", []) for _copy in range(disk.get("Count", 0))]
    return [
        {"kind": "instance_store", "name": f"ephemeral{index}", "volume_id": None, "device_name": None, "size_gb": disk.get("SizeInGB"),
         "disk_type": disk.get("Type"), "nvme_support": nvme, "status": STATUS, "reason": reason}
        for index, disk in enumerate(disks)
    ]


def excluded_boot_volume(volume):
    """The "not captured" entry of a root volume left out on purpose (exclude_boot_volume)."""
    return {"kind": "ebs", "name": volume["device_name"], "volume_id": volume["volume_id"], "device_name": volume["device_name"],
            "status": STATUS, "reason": "root volume excluded by exclude_boot_volume"}
