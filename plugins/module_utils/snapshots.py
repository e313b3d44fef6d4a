# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Crash-consistent snapshots of every EBS volume, found again by their tags.

One CreateSnapshots with the instance specification snapshots all of an
instance's EBS volumes at the same point in time. A re-run must not create
duplicates (and CreateSnapshot on a volume just snapshotted can fail with
SnapshotCreationPerVolumeRateExceeded), so existing snapshots are found by the
ticket tag and their VolumeId, and only missing volumes are snapshotted.
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import TICKET_TAG_KEY
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

# A filter takes at most 200 values.
_FILTER_MAX = 200
USABLE_STATES = ("pending", "completed")


class SnapshotError(AwsIrError, RuntimeError):
    """A snapshot that AWS reports in the error state; the message names it."""


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def describe_volumes(client, volume_ids):
    """{volume_id: volume (boto3 shape)} (DescribeVolumes, 200 ids per call)."""
    volumes = {}
    for chunk in _chunks(sorted(volume_ids), _FILTER_MAX):
        for volume in paginate(client, "describe_volumes", Filters=[{"Name": "volume-id", "Values": chunk}])["Volumes"]:
            volumes[volume["VolumeId"]] = volume
    return volumes


def find_existing(client, ticket, volume_ids):
    """{volume_id: snapshot} of this ticket's usable snapshots (pending or completed), newest per volume."""
    existing = {}
    for chunk in _chunks(sorted(volume_ids), _FILTER_MAX):
        filters = [{"Name": f"tag:{TICKET_TAG_KEY}", "Values": [ticket]}, {"Name": "volume-id", "Values": chunk}]
        for snapshot in paginate(client, "describe_snapshots", Filters=filters, OwnerIds=["self"])["Snapshots"]:
            if snapshot["State"] not in USABLE_STATES:
                continue
            known = existing.get(snapshot["VolumeId"])
            if known is None or snapshot["StartTime"] > known["StartTime"]:
                existing[snapshot["VolumeId"]] = snapshot
    return existing


def instance_specification(instance_id, volumes, existing):
    """The CreateSnapshots InstanceSpecification covering only the volumes without a snapshot, or None if none lacks one.

    volumes: the instance's EBS volumes (instances.ebs_volumes).
    """
    missing = [v for v in volumes if v["volume_id"] not in existing]
    if not missing:
        return None
    spec = {"InstanceId": instance_id, "ExcludeBootVolume": not any(v["boot"] for v in missing)}
    done_data = [v["volume_id"] for v in volumes if not v["boot"] and v["volume_id"] in existing]
    if done_data:
        spec["ExcludeDataVolumeIds"] = done_data
    return spec


def wait_completed(client, snapshot_ids, wait_timeout, sleep=time.sleep, clock=time.monotonic):
    """Poll DescribeSnapshots until every snapshot is completed or wait_timeout (seconds) runs out.

    Returns {snapshot_id: snapshot}. Raises SnapshotError naming any snapshot in
    the error state.
    """
    deadline = clock() + wait_timeout
    delay = 1.0
    while True:
        latest = {}
        for chunk in _chunks(sorted(snapshot_ids), _FILTER_MAX):
            for snapshot in paginate(client, "describe_snapshots", SnapshotIds=chunk)["Snapshots"]:
                latest[snapshot["SnapshotId"]] = snapshot
        failed = [f"{s['SnapshotId']} (volume {s['VolumeId']}): {s.get('StateMessage', 'no message')}"
                  for s in latest.values() if s["State"] == "error"]
        if failed:
            raise SnapshotError(f"snapshot in the error state: {'; '.join(failed)}")
        if all(s["State"] == "completed" for s in latest.values()) or clock() + delay > deadline:
            return latest
        sleep(delay)
        delay = min(delay * 2, 15.0)


def describe(snapshot, volume):
    """A snapshot as recorded in the evidence (dict)."""
    start = snapshot.get("StartTime")
    return {
        "snapshot_id": snapshot["SnapshotId"],
        "volume_id": volume["volume_id"],
        "device_name": volume["device_name"],
        "boot": volume["boot"],
        "state": snapshot.get("State"),
        "progress": snapshot.get("Progress"),
        "start_time": start.isoformat() if hasattr(start, "isoformat") else start,
        "volume_size_gib": snapshot.get("VolumeSize"),
        "encrypted": bool(snapshot.get("Encrypted")),
        "kms_key_id": snapshot.get("KmsKeyId"),
        "tags": boto3_tag_list_to_ansible_dict(snapshot.get("Tags", [])),
    }
