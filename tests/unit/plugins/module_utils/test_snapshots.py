import datetime

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils import snapshots

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


def test_existing_lookup_filters_by_ticket_tag_and_volume_and_skips_error_state(fake_client):
    t = datetime.datetime(2026, 11, 29, tzinfo=datetime.timezone.utc)
    client = fake_client(describe_snapshots={"Snapshots": [
        {"SnapshotId": "snap-old", "VolumeId": "vol-root", "State": "completed", "StartTime": t},
        {"SnapshotId": "snap-new", "VolumeId": "vol-root", "State": "pending", "StartTime": t + datetime.timedelta(minutes=1)},
        {"SnapshotId": "snap-bad", "VolumeId": "vol-data1", "State": "error", "StartTime": t},
    ]})
    existing = snapshots.find_existing(client, "INC-1", ["vol-root", "vol-data1"])
    assert {v: s["SnapshotId"] for v, s in existing.items()} == {"vol-root": "snap-new"}
    params = client.calls[0][1]
    assert params["Filters"] == [{"Name": "tag:IncidentTicket", "Values": ["INC-1"]}, {"Name": "volume-id", "Values": ["vol-data1", "vol-root"]}]
    assert params["OwnerIds"] == ["self"]


class Clock:
    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def test_wait_polls_pending_until_completed(fake_client):
    client = fake_client(describe_snapshots=[
        {"Snapshots": [{"SnapshotId": "snap-1", "VolumeId": "v", "State": "pending", "Progress": "40%"}]},
        {"Snapshots": [{"SnapshotId": "snap-1", "VolumeId": "v", "State": "completed", "Progress": "100%"}]},
    ])
    clock = Clock()
    latest = snapshots.wait_completed(client, ["snap-1"], 600, sleep=clock.sleep, clock=clock)
    assert latest["snap-1"]["State"] == "completed"
    assert clock.sleeps == [1.0]


def test_wait_that_runs_out_returns_pending_with_progress(fake_client):
    client = fake_client(describe_snapshots={"Snapshots": [{"SnapshotId": "snap-1", "VolumeId": "v", "State": "pending", "Progress": "3%"}]})
    clock = Clock()
    latest = snapshots.wait_completed(client, ["snap-1"], 20, sleep=clock.sleep, clock=clock)
    assert (latest["snap-1"]["State"], latest["snap-1"]["Progress"]) == ("pending", "3%")
    assert clock.now <= 20


def test_error_state_fails_naming_the_snapshot_and_volume(fake_client):
    client = fake_client(describe_snapshots={"Snapshots": [{"SnapshotId": "snap-9", "VolumeId": "vol-data1", "State": "error",
                                                            "StateMessage": "internal error"}]})
    with pytest.raises(snapshots.SnapshotError, match="snap-9 \\(volume vol-data1\\): internal error"):
        snapshots.wait_completed(client, ["snap-9"], 60, sleep=lambda s: None, clock=Clock())
