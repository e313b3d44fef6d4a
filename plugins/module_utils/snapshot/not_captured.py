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

from ansible_collections.secops.aws_ir.plugins.module_utils.instances import describe_instance_types

INSTANCE_STORE_REASON = ("instance-store volume: EBS snapshots cannot capture it, and its data is lost when the instance "
                         "stops, hibernates or terminates; image it from inside the running instance if it may hold evidence")
NON_NVME = " (non-NVMe: attached only if the AMI or the launch mapped it, which the EC2 API does not report)"
STATUS = "not_captured"


def instance_storage(client, instance_types):
    """{instance type: its InstanceStorageInfo, or None when it has no instance store} (DescribeInstanceTypes)."""
    return {t: described.get("InstanceStorageInfo") for t, described in describe_instance_types(client, instance_types).items()}


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
