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

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import utc_text
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import EVIDENCE_TAG_KEY
from ansible_collections.secops.aws_ir.plugins.module_utils.common import EVIDENCE_TAG_VALUE
from ansible_collections.secops.aws_ir.plugins.module_utils.common import TICKET_TAG_KEY
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import chunks
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import poll
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import MAX_TAGS
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import TagError
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import copyable
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import tags_of
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import validate_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import within_limit

SOURCE_INSTANCE_TAG = "SourceInstanceId"
SOURCE_VOLUME_TAG = "SourceVolumeId"
SOURCE_DEVICE_TAG = "SourceDeviceName"
INCIDENT_TAG_KEYS = (TICKET_TAG_KEY, EVIDENCE_TAG_KEY, SOURCE_INSTANCE_TAG, SOURCE_VOLUME_TAG, SOURCE_DEVICE_TAG)
# Carried by copies only: it names the original, and tells a copy from an original.
SOURCE_SNAPSHOT_TAG = "SourceSnapshotId"
# An original keeps one tag free so that its copy carries the same tags plus SourceSnapshotId.
ORIGINAL_TAG_LIMIT = MAX_TAGS - 1
USABLE_STATES = ("pending", "completed")


class SnapshotError(AwsIrError, RuntimeError):
    """A snapshot that AWS reports in the error state; the message names it."""


def describe_volumes(client, volume_ids):
    """{volume_id: volume (boto3 shape)} (DescribeVolumes, 200 ids per call)."""
    volumes = {}
    for chunk in chunks(sorted(volume_ids)):
        for volume in paginate(client, "describe_volumes", Filters=[{"Name": "volume-id", "Values": chunk}])["Volumes"]:
            volumes[volume["VolumeId"]] = volume
    return volumes


def newest_usable(snapshots, key):
    """{key(snapshot): snapshot} of the newest pending or completed snapshot per key."""
    newest = {}
    for snapshot in snapshots:
        if snapshot["State"] not in USABLE_STATES:
            continue
        known = newest.get(key(snapshot))
        if known is None or snapshot["StartTime"] > known["StartTime"]:
            newest[key(snapshot)] = snapshot
    return newest


def ticket_snapshots(client, ticket, name, values):
    """This account's snapshots tagged with the ticket whose filter name (volume-id, tag:...) matches one of values."""
    found = []
    for chunk in chunks(sorted(values)):
        filters = [{"Name": f"tag:{TICKET_TAG_KEY}", "Values": [ticket]}, {"Name": name, "Values": chunk}]
        found += paginate(client, "describe_snapshots", Filters=filters, OwnerIds=["self"])["Snapshots"]
    return found


def find_existing(client, ticket, volume_ids):
    """{volume_id: snapshot} of this ticket's usable original snapshots (pending or completed), newest per volume.

    Copies are left out: they carry SourceSnapshotId (and, in moto, the
    original's VolumeId; on AWS a copy's VolumeId is arbitrary).
    """
    originals = [s for s in ticket_snapshots(client, ticket, "volume-id", volume_ids) if SOURCE_SNAPSHOT_TAG not in tags_of(s)]
    return newest_usable(originals, key=lambda s: s["VolumeId"])


def incident_snapshot_tags(ticket, instance_id, volume):
    """The tags that make a snapshot evidence of this incident, this instance and this volume."""
    return {
        TICKET_TAG_KEY: ticket,
        EVIDENCE_TAG_KEY: EVIDENCE_TAG_VALUE,
        SOURCE_INSTANCE_TAG: instance_id,
        SOURCE_VOLUME_TAG: volume["volume_id"],
        SOURCE_DEVICE_TAG: volume["device_name"],
    }


def validate_extra_tags(tags, field="tags"):
    """The responder's extra snapshot tags as AWS stores them; TagError naming the field when AWS would refuse one or they leave the incident tags no room."""
    tags = validate_tags(tags, field)
    room = ORIGINAL_TAG_LIMIT - len(INCIDENT_TAG_KEYS)
    own = set(tags) - set(INCIDENT_TAG_KEYS)
    if len(own) > room:
        raise TagError(f"{field}: {len(own)} tags given; beside the {len(INCIDENT_TAG_KEYS)} incident tags a snapshot has room for {room}")
    return tags


def snapshot_tags(incident, extra, volume_tags, instance_tags):
    """The tags of one original snapshot and the copied keys that did not fit (tags, dropped).

    Priority: the incident's tags, then the responder's extra tags, then the
    volume's own tags, then the instance's own tags; aws: keys are never
    copied; at most ORIGINAL_TAG_LIMIT tags.
    """
    return within_limit([incident, extra, copyable(volume_tags), copyable(instance_tags)], limit=ORIGINAL_TAG_LIMIT)


def common_tags(tag_sets):
    """The tags (key and value) that every dict of tag_sets holds: what CreateSnapshots can set at creation."""
    first, *others = tag_sets
    return {k: v for k, v in first.items() if all(other.get(k) == v for other in others)}


def instance_specification(instance_id, volumes, existing, exclude_boot_volume=False):
    """The CreateSnapshots InstanceSpecification covering only the volumes without a snapshot, or None if none lacks one.

    volumes: the instance's EBS volumes (instances.ebs_volumes).
    """
    missing = [v for v in volumes if v["volume_id"] not in existing and not (v["boot"] and exclude_boot_volume)]
    if not missing:
        return None
    spec = {"InstanceId": instance_id, "ExcludeBootVolume": not any(v["boot"] for v in missing)}
    done_data = [v["volume_id"] for v in volumes if not v["boot"] and v["volume_id"] in existing]
    if done_data:
        spec["ExcludeDataVolumeIds"] = done_data
    return spec


def describe_by_id(client, snapshot_ids):
    """{snapshot_id: snapshot} (DescribeSnapshots by id, 200 per call)."""
    latest = {}
    for chunk in chunks(sorted(snapshot_ids)):
        for snapshot in paginate(client, "describe_snapshots", SnapshotIds=chunk)["Snapshots"]:
            latest[snapshot["SnapshotId"]] = snapshot
    return latest


def wait_completed(client, snapshot_ids, wait_timeout, sleep=None, clock=None):
    """Poll DescribeSnapshots until every snapshot is completed or wait_timeout (seconds) runs out, every 1 s, 2 s, ... 15 s.

    Returns {snapshot_id: snapshot}. Raises SnapshotError naming any snapshot in
    the error state.
    """
    latest, _completed = poll(lambda: refuse_failed(describe_by_id(client, snapshot_ids)),
                              lambda found: all(s["State"] == "completed" for s in found.values()),
                              wait_timeout, 1.0, backoff=2.0, max_delay=15.0, sleep=sleep, clock=clock)
    return latest


def refuse_failed(latest):
    """latest ({snapshot_id: snapshot}); SnapshotError naming each snapshot in the error state, if any."""
    failed = [f"{s['SnapshotId']} ({_origin(s)}): {s.get('StateMessage') or 'no message'}" for s in latest.values() if s["State"] == "error"]
    if failed:
        raise SnapshotError(f"snapshot in the error state: {'; '.join(failed)}")
    return latest


def _origin(snapshot):
    """What a snapshot was taken from, for messages: its volume, or the original it copies."""
    tags = tags_of(snapshot)
    if SOURCE_SNAPSHOT_TAG in tags:
        return f"copy of {tags[SOURCE_SNAPSHOT_TAG]}"
    return f"volume {snapshot.get('VolumeId')}"


def iso_time(value):
    """A boto3 timestamp as the manifest's time text (utc_text: milliseconds, Z); other values unchanged."""
    return utc_text(value) if hasattr(value, "astimezone") else value


def describe(snapshot, volume):
    """An original snapshot as recorded in the evidence (dict)."""
    return {
        "snapshot_id": snapshot["SnapshotId"],
        "volume_id": volume["volume_id"],
        "device_name": volume["device_name"],
        "boot": volume["boot"],
        "state": snapshot.get("State"),
        "progress": snapshot.get("Progress"),
        "start_time": iso_time(snapshot.get("StartTime")),
        "volume_size_gib": snapshot.get("VolumeSize"),
        "encrypted": bool(snapshot.get("Encrypted")),
        "kms_key_id": snapshot.get("KmsKeyId"),
        "tags": tags_of(snapshot),
    }


def refresh(entry, snapshot):
    """Move an entry's state, progress and start time on to what DescribeSnapshots says now."""
    entry.update(state=snapshot["State"], progress=snapshot.get("Progress"), start_time=iso_time(snapshot.get("StartTime")))
