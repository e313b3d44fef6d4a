"""DescribeInstanceInformation: every running instance is a managed node unless its lab:ssm tag says otherwise."""
import datetime

import pytest
from botocore.exceptions import ClientError


def _info(aws, **kwargs):
    return {item["InstanceId"]: item for item in aws("ssm").describe_instance_information(**kwargs)["InstanceInformationList"]}


def test_linux_node_fields(aws, launch):
    instance_id = launch()[0]
    private_ip = aws("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["PrivateIpAddress"]
    info = _info(aws)[instance_id]
    assert info["PingStatus"] == "Online"
    assert (info["PlatformType"], info["PlatformName"], info["PlatformVersion"]) == ("Linux", "Amazon Linux", "2023")
    assert info["ResourceType"] == "EC2Instance" and info["IPAddress"] == private_ip
    assert info["ComputerName"] == f"ip-{private_ip.replace('.', '-')}.ec2.internal"
    assert info["AgentVersion"].count(".") == 3 and isinstance(info["IsLatestVersion"], bool)
    assert datetime.datetime.now(datetime.timezone.utc) - info["LastPingDateTime"] < datetime.timedelta(minutes=5)


def test_windows_node(aws, launch):
    instance_id = launch(windows=True)[0]
    info = _info(aws)[instance_id]
    assert info["PlatformType"] == "Windows" and info["PlatformName"].startswith("Microsoft Windows Server")


@pytest.mark.parametrize("tag, expected", [("Online", "Online"), ("ConnectionLost", "ConnectionLost"), ("Inactive", "Inactive"), ("unmanaged", None)])
def test_lab_ssm_tag(aws, launch, tag, expected):
    instance_id = launch(tags={"lab:ssm": tag})[0]
    assert _info(aws).get(instance_id, {}).get("PingStatus") == expected


def test_stopped_and_terminated_instances(aws, launch):
    stopped, terminated, running = launch(count=3)
    aws("ec2").stop_instances(InstanceIds=[stopped])
    aws("ec2").terminate_instances(InstanceIds=[terminated])
    info = _info(aws)
    assert info[stopped]["PingStatus"] == "ConnectionLost"
    assert terminated not in info and info[running]["PingStatus"] == "Online"


def test_filters(aws, launch):
    first, second, _third = launch(count=3)
    assert set(_info(aws, Filters=[{"Key": "InstanceIds", "Values": [first, second]}])) == {first, second}
    assert set(_info(aws, InstanceInformationFilterList=[{"key": "InstanceIds", "valueSet": [first]}])) == {first}
    assert set(_info(aws, Filters=[{"Key": "PingStatus", "Values": ["Inactive"]}])) == set()
    with pytest.raises(ClientError, match="InvalidFilterKey"):
        _info(aws, Filters=[{"Key": "Nope", "Values": ["x"]}])


def test_pagination(aws, launch):
    ids = set(launch(count=12))
    ssm = aws("ssm")
    first = ssm.describe_instance_information()
    assert len(first["InstanceInformationList"]) == 10 and "NextToken" in first  # AWS default MaxResults is 10
    seen, pages = set(), 0
    for page in ssm.get_paginator("describe_instance_information").paginate(PaginationConfig={"PageSize": 5}):
        seen |= {item["InstanceId"] for item in page["InstanceInformationList"]}
        pages += 1
    assert seen == ids and pages == 3
    with pytest.raises(ClientError, match="ValidationException"):
        ssm.describe_instance_information(MaxResults=51)
