import datetime

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot import snapshots

VOLUMES = [
    {"device_name": "/dev/xvda", "volume_id": "vol-root", "boot": True, "delete_on_termination": True},
    {"device_name": "/dev/sdf", "volume_id": "vol-data1", "boot": False, "delete_on_termination": True},
    {"device_name": "/dev/sdg", "volume_id": "vol-data2", "boot": False, "delete_on_termination": False},
]


def test_first_run_covers_every_volume_in_one_specification():
    assert snapshots.instance_specification("i-1", VOLUMES, {}) == {"InstanceId": "i-1", "ExcludeBootVolume": False}


def test_rerun_after_a_partial_run_covers_only_the_missing_volumes():
    spec = snapshots.instance_specification("i-1", VOLUMES, {"vol-root": {}, "vol-data1": {}})
    assert spec == {"InstanceId": "i-1", "ExcludeBootVolume": True, "ExcludeDataVolumeIds": ["vol-data1"]}
    spec = snapshots.instance_specification("i-1", VOLUMES, {"vol-data2": {}})
    assert spec == {"InstanceId": "i-1", "ExcludeBootVolume": False, "ExcludeDataVolumeIds": ["vol-data2"]}


def test_nothing_to_create_when_every_volume_has_a_snapshot():
    assert snapshots.instance_specification("i-1", VOLUMES, {v["volume_id"]: {} for v in VOLUMES}) is None


def test_excluding_the_boot_volume_leaves_it_out_and_alone():
    assert snapshots.instance_specification("i-1", VOLUMES, {}, exclude_boot_volume=True) == {"InstanceId": "i-1", "ExcludeBootVolume": True}
    done_data = {"vol-data1": {}, "vol-data2": {}}
    assert snapshots.instance_specification("i-1", VOLUMES, done_data, exclude_boot_volume=True) is None


INCIDENT = {"IncidentTicket": "INC-1", "Evidence": "Yes", "SourceInstanceId": "i-1", "SourceVolumeId": "vol-data1", "SourceDeviceName": "/dev/sdf"}


def test_snapshot_tags_copy_volume_and_instance_tags_without_aws_keys_and_incident_tags_win():
    instance = {"aws:autoscaling:groupName": "web-asg", "aws:ec2launchtemplate:id": "lt-1", "Name": "web-1", "Team": "web"}
    volume = {"Name": "web-1-data", "IncidentTicket": "INC-OTHER", "AWS:odd": "x"}
    tags, dropped = snapshots.snapshot_tags(INCIDENT, {"Owner": "soc"}, volume, instance)
    assert tags == dict(INCIDENT, Owner="soc", Name="web-1-data", Team="web")
    assert dropped == []


def test_a_volume_with_49_tags_fills_the_snapshot_to_49_and_the_rest_is_named():
    volume = {f"v{i:02d}": "x" for i in range(49)}
    tags, dropped = snapshots.snapshot_tags(INCIDENT, {}, volume, {"Name": "web-1"})
    # 49, not 50: one tag stays free for the copy's SourceSnapshotId.
    assert len(tags) == 49 and INCIDENT.items() <= tags.items()
    assert dropped == [f"v{i:02d}" for i in range(44, 49)] + ["Name"]


def test_common_tags_are_those_every_snapshot_shares_key_and_value():
    root = dict(INCIDENT, SourceVolumeId="vol-root", SourceDeviceName="/dev/xvda", Name="web-1")
    data = dict(INCIDENT, Name="data")
    assert snapshots.common_tags([root, data]) == {"IncidentTicket": "INC-1", "Evidence": "Yes", "SourceInstanceId": "i-1"}
    assert snapshots.common_tags([root]) == root


def test_extra_tags_leave_room_for_the_incident_tags():
    assert snapshots.validate_extra_tags({f"k{i}": "v" for i in range(44)})
    # A responder's tag with an incident key takes no room of its own (the incident value wins anyway).
    assert snapshots.validate_extra_tags(dict({f"k{i}": "v" for i in range(44)}, IncidentTicket="x"))
    with pytest.raises(snapshots.TagError, match="tags: 45 tags given; beside the 5 incident tags a snapshot has room for 44"):
        snapshots.validate_extra_tags({f"k{i}": "v" for i in range(45)})
    with pytest.raises(snapshots.TagError, match="reserved prefix"):
        snapshots.validate_extra_tags({"aws:x": "v"})


def test_existing_lookup_filters_by_ticket_tag_and_volume_and_skips_error_state_and_copies(fake_client):
    t = datetime.datetime(2026, 11, 29, tzinfo=datetime.timezone.utc)
    client = fake_client(describe_snapshots={"Snapshots": [
        {"SnapshotId": "snap-old", "VolumeId": "vol-root", "State": "completed", "StartTime": t},
        {"SnapshotId": "snap-new", "VolumeId": "vol-root", "State": "pending", "StartTime": t + datetime.timedelta(minutes=1)},
        {"SnapshotId": "snap-bad", "VolumeId": "vol-data1", "State": "error", "StartTime": t},
        # A copy made in the same Region carries the ticket too; it is never an original.
        {"SnapshotId": "snap-copy", "VolumeId": "vol-root", "State": "completed", "StartTime": t + datetime.timedelta(minutes=2),
         "Tags": [{"Key": "SourceSnapshotId", "Value": "snap-old"}]},
    ]})
    existing = snapshots.find_existing(client, "INC-1", ["vol-root", "vol-data1"])
    assert {v: s["SnapshotId"] for v, s in existing.items()} == {"vol-root": "snap-new"}
    params = client.calls[0][1]
    assert params["Filters"] == [{"Name": "tag:IncidentTicket", "Values": ["INC-1"]}, {"Name": "volume-id", "Values": ["vol-data1", "vol-root"]}]
    assert params["OwnerIds"] == ["self"]


def test_wait_polls_pending_until_completed(fake_client, clock):
    client = fake_client(describe_snapshots=[
        {"Snapshots": [{"SnapshotId": "snap-1", "VolumeId": "v", "State": "pending", "Progress": "40%"}]},
        {"Snapshots": [{"SnapshotId": "snap-1", "VolumeId": "v", "State": "completed", "Progress": "100%"}]},
    ])
    latest = snapshots.wait_completed(client, ["snap-1"], 600, sleep=clock.sleep, clock=clock)
    assert latest["snap-1"]["State"] == "completed"
    assert clock.sleeps == [1.0]


def test_wait_that_runs_out_returns_pending_with_progress(fake_client, clock):
    client = fake_client(describe_snapshots={"Snapshots": [{"SnapshotId": "snap-1", "VolumeId": "v", "State": "pending", "Progress": "3%"}]})
    latest = snapshots.wait_completed(client, ["snap-1"], 20, sleep=clock.sleep, clock=clock)
    assert (latest["snap-1"]["State"], latest["snap-1"]["Progress"]) == ("pending", "3%")
    assert clock.now <= 20


def test_error_state_fails_naming_the_snapshot_and_volume(fake_client, clock):
    client = fake_client(describe_snapshots={"Snapshots": [{"SnapshotId": "snap-9", "VolumeId": "vol-data1", "State": "error",
                                                            "StateMessage": "internal error"}]})
    with pytest.raises(snapshots.SnapshotError, match="snap-9 \\(volume vol-data1\\): internal error"):
        snapshots.wait_completed(client, ["snap-9"], 60, sleep=lambda s: None, clock=clock)


def test_a_copy_in_the_error_state_fails_naming_the_copy_and_its_original(fake_client, clock):
    # A copy fails asynchronously, for example when the KMS key policy does not let EBS use the key.
    client = fake_client(describe_snapshots={"Snapshots": [{"SnapshotId": "snap-c", "VolumeId": "vol-ffffffff", "State": "error",
                                                            "Tags": [{"Key": "SourceSnapshotId", "Value": "snap-o"}]}]})
    with pytest.raises(snapshots.SnapshotError, match="snap-c \\(copy of snap-o\\): no message"):
        snapshots.wait_completed(client, ["snap-c"], 60, sleep=lambda s: None, clock=clock)


def test_a_snapshot_start_time_is_written_like_every_other_manifest_time():
    # botocore parses StartTime as an aware datetime (tzutc); the manifest's times are UTC with milliseconds and Z.
    started = datetime.datetime(2026, 12, 3, 10, 13, 54, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert snapshots.iso_time(started) == "2026-12-03T09:13:54.000Z"
    assert snapshots.iso_time(None) is None
