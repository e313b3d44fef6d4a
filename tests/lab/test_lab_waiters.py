"""botocore's waiters poll through the client's own retries: whether a throttled poll ends a wait depends on them.

Measured here, for the README's sentence on waits: the collection's clients make one attempt per call (retry.CLIENT_RETRIES),
so a botocore waiter on them would end at the first throttled poll; botocore's default (standard mode, 3 attempts) would
read the throttled poll again itself.
"""
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import WaiterError

from tests.lab.conftest import REGION

THROTTLED_ONCE = [{"service": "ec2", "action": "DescribeSnapshots", "code": "RequestLimitExceeded", "status": 503, "count": 1}]


def a_snapshot(ec2):
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    volume_id = ec2.create_volume(Size=1, AvailabilityZone=zone)["VolumeId"]
    return ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]  # moto's snapshots are completed at once


def polls(lab):
    return [r["error_code"] for r in lab.requests() if r["action"] == "DescribeSnapshots"]


def test_a_waiter_on_a_client_without_retries_ends_at_the_first_throttled_poll(lab, aws):
    ec2 = aws("ec2")
    snapshot_id = a_snapshot(ec2)
    lab.clear_requests()
    lab.configure(faults=THROTTLED_ONCE)
    with pytest.raises(WaiterError, match="RequestLimitExceeded"):
        ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot_id], WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    assert polls(lab) == ["RequestLimitExceeded"]


def test_a_waiter_on_a_client_with_botocore_s_default_retries_reads_a_throttled_poll_again(lab):
    ec2 = boto3.client("ec2", endpoint_url=lab.endpoint_url, region_name=REGION, config=Config(retries={"mode": "standard"}))
    snapshot_id = a_snapshot(ec2)
    lab.clear_requests()
    lab.configure(faults=THROTTLED_ONCE)
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot_id], WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    assert polls(lab) == ["RequestLimitExceeded", None]
