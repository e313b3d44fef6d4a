# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Analysis volumes: a volume made from a forensic snapshot copy, attached to an analysis instance.

This runs in the forensic account. A snapshot shared with it shows no tags there
(tags are not shared), so its volumes are found again by their SnapshotId and
their own tags (IncidentTicket, AnalysisInstanceId).
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import EVIDENCE_TAG_KEY
from ansible_collections.secops.aws_ir.plugins.module_utils.common import EVIDENCE_TAG_VALUE
from ansible_collections.secops.aws_ir.plugins.module_utils.common import TICKET_TAG_KEY
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.snapshots import SOURCE_SNAPSHOT_TAG
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.snapshots import iso_time

ANALYSIS_INSTANCE_TAG = "AnalysisInstanceId"
_SNAPSHOT_ID = re.compile(r"^snap-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
# Device names AWS recommends for EBS data volumes on Linux instances.
DEVICE_NAMES = tuple(f"/dev/sd{letter}" for letter in "fghijklmnop")
USABLE_VOLUME_STATES = ("creating", "available", "in-use")


class AnalysisError(AwsIrError, ValueError):
    """An analysis volume that cannot be made or attached; the message names the field, snapshot or volume."""


def validate_snapshot_ids(snapshot_ids, field="snapshot_ids"):
    """Raise AnalysisError for an empty list, a malformed id or a repeated id; return the list."""
    if not snapshot_ids:
        raise AnalysisError(f"{field} must name at least one snapshot (got {snapshot_ids!r})")
    for index, snapshot_id in enumerate(snapshot_ids):
        if not isinstance(snapshot_id, str) or not _SNAPSHOT_ID.match(snapshot_id):
            raise AnalysisError(f"{field}: {snapshot_id!r} is not an EBS snapshot id (snap- followed by 8 or 17 hexadecimal digits)")
        if snapshot_id in snapshot_ids[:index]:
            raise AnalysisError(f"{field}: {snapshot_id!r} is listed twice")
    return snapshot_ids


def describe_snapshots(client, snapshot_ids, region):
    """{snapshot_id: snapshot} of completed snapshots this account may use; AnalysisError naming any other.

    One DescribeSnapshots per id, so that the message names the snapshot that is
    missing (or not shared with this account).
    """
    found = {}
    for snapshot_id in snapshot_ids:
        try:
            snapshot = client.describe_snapshots(aws_retry=True, SnapshotIds=[snapshot_id])["Snapshots"][0]
        except is_boto3_error_code("InvalidSnapshot.NotFound"):
            raise NotFoundError(f"snapshot_ids: {snapshot_id} does not exist in {{where}} or is not shared with that account", region=region) from None
        if snapshot["State"] != "completed":
            raise AnalysisError(f"snapshot_ids: {snapshot_id} is {snapshot['State']}; a volume can be made from it once it is completed")
        found[snapshot_id] = snapshot
    return found


def find_volumes(client, ticket, snapshot_ids, instance_id):
    """{snapshot_id: volume} of the usable volumes made earlier from these snapshots for this analysis instance."""
    filters = [
        {"Name": "snapshot-id", "Values": list(snapshot_ids)},
        {"Name": f"tag:{TICKET_TAG_KEY}", "Values": [ticket]},
        {"Name": f"tag:{ANALYSIS_INSTANCE_TAG}", "Values": [instance_id]},
    ]
    volumes = paginate(client, "describe_volumes", Filters=filters)["Volumes"]
    return {v["SnapshotId"]: v for v in sorted(volumes, key=lambda v: v["CreateTime"]) if v["State"] in USABLE_VOLUME_STATES}


def volume_tags(ticket, snapshot_id, instance_id, extra):
    """The tags of an analysis volume: the responder's, then the incident's, which win."""
    return dict(extra, **{TICKET_TAG_KEY: ticket, EVIDENCE_TAG_KEY: EVIDENCE_TAG_VALUE, SOURCE_SNAPSHOT_TAG: snapshot_id,
                          ANALYSIS_INSTANCE_TAG: instance_id})


def _canonical(device_name):
    """/dev/xvdf and /dev/sdf name the same slot."""
    return re.sub(r"^(/dev/)?(xvd|sd)", "sd", device_name)


def free_devices(instance):
    """The recommended device names the instance does not use yet, in order."""
    used = {_canonical(m["DeviceName"]) for m in instance.get("BlockDeviceMappings", [])}
    return [d for d in DEVICE_NAMES if _canonical(d) not in used]


def attachment_of(volume, instance_id):
    """The volume's attachment to instance_id (boto3 shape), or None."""
    return next((a for a in volume.get("Attachments", []) if a["InstanceId"] == instance_id), None)


def describe(volume, snapshot_id, instance_id, created):
    """An analysis volume and its attachment as recorded in the evidence (dict)."""
    attachment = attachment_of(volume, instance_id) or {}
    return {
        "snapshot_id": snapshot_id,
        "volume_id": volume["VolumeId"],
        "availability_zone": volume.get("AvailabilityZone"),
        "size_gib": volume.get("Size"),
        "encrypted": bool(volume.get("Encrypted")),
        "kms_key_id": volume.get("KmsKeyId"),
        "state": volume.get("State"),
        "instance_id": instance_id,
        "device_name": attachment.get("Device"),
        "attachment_state": attachment.get("State"),
        "attach_time": iso_time(attachment.get("AttachTime")),
        "created": created,
    }
