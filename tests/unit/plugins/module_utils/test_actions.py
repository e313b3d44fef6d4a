import re

import pytest
from botocore.exceptions import ClientError
from botocore.exceptions import EndpointConnectionError

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.actions import redact

PRESIGNED = "https://bucket.s3.amazonaws.com/avml?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=lab-key%2F20261129&X-Amz-Signature=abc"


def test_presigned_urls_and_secret_keys_are_redacted_everywhere():
    value = {"commands": ["curl -o /tmp/avml '" + PRESIGNED + "'", "sha256sum /tmp/avml"], "SessionToken": "FwoG", "Keep": "x"}
    assert redact(value) == {"commands": ["<redacted>", "sha256sum /tmp/avml"], "SessionToken": "<redacted>", "Keep": "x"}


def test_check_mode_records_planned_and_makes_no_call(fake_client):
    client = fake_client()
    log = ActionLog("containment", check_mode=True)
    assert log.call(client, "ec2", "ModifyInstanceAttribute", "i-1", {"InstanceId": "i-1"}, instance_ids=["i-1"]) is None
    assert client.calls == []
    assert log.records[0]["outcome"] == "planned"
    assert log.records[0]["request_id"] is None


def test_successful_call_records_time_ms_request_id_and_after_from_response(fake_client):
    client = fake_client(create_security_group={"GroupId": "sg-1", "ResponseMetadata": {"RequestId": "req-42"}})
    log = ActionLog("containment", check_mode=False)
    log.call(client, "ec2", "CreateSecurityGroup", "vpc-1", {"GroupName": "g", "Description": "d"}, after_from=lambda r: {"group_id": r["GroupId"]})
    record = log.records[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["time"])
    assert (record["outcome"], record["request_id"], record["after"], record["error_code"]) == ("ok", "req-42", {"group_id": "sg-1"}, None)
    assert client.calls == [("create_security_group", {"GroupName": "g", "Description": "d"})]


def test_aws_error_is_recorded_with_its_code_then_raised(fake_client, aws_error):
    client = fake_client(modify_instance_attribute=aws_error("UnsupportedOperation", request_id="req-7"))
    log = ActionLog("containment", check_mode=False)
    with pytest.raises(ClientError):
        log.call(client, "ec2", "ModifyInstanceAttribute", "i-1", {"InstanceId": "i-1"})
    assert (log.records[0]["outcome"], log.records[0]["error_code"], log.records[0]["request_id"]) == ("error", "UnsupportedOperation", "req-7")


def test_no_answer_from_aws_is_recorded_as_an_error_not_as_planned(fake_client):
    client = fake_client(create_snapshots=EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    log = ActionLog("snapshot", check_mode=False)
    with pytest.raises(EndpointConnectionError):
        log.call(client, "ec2", "CreateSnapshots", "i-1", {"InstanceSpecification": {"InstanceId": "i-1"}})
    assert (log.records[0]["outcome"], log.records[0]["error_code"]) == ("error", "EndpointConnectionError")


def test_recorded_parameters_replace_what_was_sent(fake_client):
    client = fake_client(put_object={"VersionId": "v1", "ResponseMetadata": {"RequestId": "r"}})
    log = ActionLog("manifest", check_mode=False)
    log.call(client, "s3", "PutObject", "s3://b/k", {"Bucket": "b", "Key": "k", "Body": b"x" * 10}, recorded={"Bucket": "b", "ContentLength": 10})
    assert log.records[0]["parameters"] == {"Bucket": "b", "ContentLength": 10}


def test_a_log_whose_only_call_was_refused_changed_nothing_and_a_planned_call_is_a_change(fake_client, aws_error):
    client = fake_client(modify_instance_attribute=aws_error("UnsupportedOperation"), create_tags={"ResponseMetadata": {}})
    log = ActionLog("containment", check_mode=False)
    with pytest.raises(ClientError):
        log.call(client, "ec2", "ModifyInstanceAttribute", "i-1", {"InstanceId": "i-1"})
    assert log.records and not log.changed
    log.call(client, "ec2", "CreateTags", "i-1", {"Resources": ["i-1"], "Tags": []})
    assert log.changed
    planned = ActionLog("containment", check_mode=True)
    planned.call(client, "ec2", "CreateTags", "i-1", {"Resources": ["i-1"], "Tags": []})
    assert planned.changed
