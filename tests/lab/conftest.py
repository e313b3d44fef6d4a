"""One lab server for the whole lab test session, reset before each test."""
import os

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from lab import Lab

REGION = "us-east-1"
# Dummy credentials only; never real ones, never written to a file.
for _name, _value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_DEFAULT_REGION", REGION),
                      ("AWS_EC2_METADATA_DISABLED", "true")):
    os.environ.setdefault(_name, _value)
# Fast emulator clock for most tests; lifecycle tests set their own timings.
FAST_SSM = {"invocation_absent_seconds": 0.05, "pending_seconds": 0.05, "in_progress_seconds": 0.1}


def error_code(call):
    """The AWS error code call() fails with (the test fails if it succeeds)."""
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


def describe_instance(ec2, instance_id):
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


@pytest.fixture(scope="session")
def lab_server():
    with Lab(ssm=FAST_SSM) as running:
        yield running


@pytest.fixture
def lab(lab_server):
    lab_server.reset()
    return lab_server


@pytest.fixture
def aws(lab):
    """aws("ec2") -> a boto3 client for the lab that never retries, so each call is exactly one request."""
    config = Config(retries={"total_max_attempts": 1})

    def client(name):
        return boto3.client(name, endpoint_url=lab.endpoint_url, region_name=REGION, config=config)

    return client


def _image_id(ec2, windows):
    """An Amazon Linux 2023 image, or a Windows Server one, from moto's catalogue."""
    if windows:
        images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "platform", "Values": ["windows"]}])["Images"]
    else:
        images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"]
    return sorted(image["ImageId"] for image in images)[0]


@pytest.fixture
def launch(aws):
    """launch(tags={...}, windows=False, count=1) -> ids of new instances."""
    ec2 = aws("ec2")

    def run(tags=None, windows=False, count=1):
        kwargs = {}
        if tags:
            kwargs["TagSpecifications"] = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
        reservation = ec2.run_instances(ImageId=_image_id(ec2, windows), MinCount=count, MaxCount=count, InstanceType="t3.micro", **kwargs)
        return [instance["InstanceId"] for instance in reservation["Instances"]]

    return run
