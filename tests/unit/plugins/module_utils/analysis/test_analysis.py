import datetime

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.analysis import analysis

T0 = datetime.datetime(2026, 11, 29, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("snapshot_ids, message", [
    ([], "snapshot_ids must name at least one snapshot"),
    (["vol-0123456789abcdef0"], "'vol-0123456789abcdef0' is not an EBS snapshot id"),
    (["snap-0123456789abcdef0", "snap-0123456789abcdef0"], "'snap-0123456789abcdef0' is listed twice"),
])
def test_bad_snapshot_ids_are_refused_naming_the_field(snapshot_ids, message):
    with pytest.raises(analysis.AnalysisError, match=message):
        analysis.validate_snapshot_ids(snapshot_ids)


def test_free_devices_skip_slots_in_use_under_either_name():
    instance = {"BlockDeviceMappings": [{"DeviceName": "/dev/xvda"}, {"DeviceName": "/dev/xvdf"}, {"DeviceName": "/dev/sdg"}]}
    assert analysis.free_devices(instance)[:2] == ["/dev/sdh", "/dev/sdi"]
    assert len(analysis.free_devices({})) == 11


def test_a_snapshot_not_shared_with_this_account_is_named(fake_client, aws_error):
    client = fake_client(describe_snapshots=aws_error("InvalidSnapshot.NotFound"))
    with pytest.raises(NotFoundError, match="snap-0aaa does not exist in this account and Region or is not shared with that account"):
        analysis.describe_snapshots(client, ["snap-0aaa"], "eu-west-1")


def test_a_pending_copy_cannot_give_a_volume_yet(fake_client):
    client = fake_client(describe_snapshots={"Snapshots": [{"SnapshotId": "snap-0aaa", "State": "pending"}]})
    with pytest.raises(analysis.AnalysisError, match="snap-0aaa is pending; a volume can be made from it once it is completed"):
        analysis.describe_snapshots(client, ["snap-0aaa"], "eu-west-1")


def test_volumes_of_an_earlier_run_are_found_by_snapshot_ticket_and_analysis_instance(fake_client):
    client = fake_client(describe_volumes={"Volumes": [
        {"VolumeId": "vol-old", "SnapshotId": "snap-0aaa", "State": "deleting", "CreateTime": T0},
        {"VolumeId": "vol-1", "SnapshotId": "snap-0aaa", "State": "in-use", "CreateTime": T0},
    ]})
    found = analysis.find_volumes(client, "INC-1", ["snap-0aaa"], "i-0aaaabbbbccccdddd")
    assert {s: v["VolumeId"] for s, v in found.items()} == {"snap-0aaa": "vol-1"}
    assert client.calls[0][1]["Filters"] == [{"Name": "snapshot-id", "Values": ["snap-0aaa"]},
                                             {"Name": "tag:IncidentTicket", "Values": ["INC-1"]},
                                             {"Name": "tag:AnalysisInstanceId", "Values": ["i-0aaaabbbbccccdddd"]}]


def test_volume_tags_keep_the_incident_tags_over_the_responders():
    tags = analysis.volume_tags("INC-1", "snap-0aaa", "i-1", {"IncidentTicket": "mine", "Owner": "soc"})
    assert tags == {"Owner": "soc", "IncidentTicket": "INC-1", "Evidence": "Yes", "SourceSnapshotId": "snap-0aaa", "AnalysisInstanceId": "i-1"}
