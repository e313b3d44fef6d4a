"""The retry policy every read and every ActionLog write goes through: each service's throttling code is retried."""

import pytest
from botocore import xform_name
from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionClosedError
from botocore.exceptions import EndpointConnectionError
from botocore.exceptions import ParamValidationError
from botocore.exceptions import ReadTimeoutError

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.secops.aws_ir.plugins.module_utils import retry
from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import DEFAULT_RETRY
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import poll
from ansible_collections.secops.aws_ir.plugins.modules import forensic_snapshot
from tests.unit.conftest import client_error


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)


# What each protocol answers when it throttles: EC2 (EC2 API Reference, "Request throttling"), the query APIs
# (Auto Scaling, ELB, STS, IAM), the JSON APIs (SSM, KMS), S3 (503 Slow Down; a HEAD request's error has no
# body, so botocore only has the status).
THROTTLING = ["RequestLimitExceeded", "Throttling", "ThrottlingException", "SlowDown", "503"]


@pytest.mark.parametrize("code", THROTTLING)
def test_a_throttled_write_is_retried_and_recorded_once(fake_client, aws_error, code):
    client = fake_client(create_snapshots=[aws_error(code), aws_error(code), {"Snapshots": [], "ResponseMetadata": {"RequestId": "r-3"}}])
    log = ActionLog("snapshot", check_mode=False)
    log.call(RetryingBotoClientWrapper(client, DEFAULT_RETRY), "ec2", "CreateSnapshots", "i-1", {"InstanceSpecification": {"InstanceId": "i-1"}})
    assert client.names() == ["create_snapshots"] * 3
    assert [(r["action"], r["outcome"], r["request_id"]) for r in log.records] == [("CreateSnapshots", "ok", "r-3")]


@pytest.mark.parametrize("code", THROTTLING)
def test_a_throttled_page_is_read_again(fake_client, aws_error, code):
    client = fake_client(describe_instance_information=[aws_error(code), {"InstanceInformationList": [{"InstanceId": "i-1"}]}])
    assert paginate(client, "describe_instance_information") == {"InstanceInformationList": [{"InstanceId": "i-1"}]}
    assert client.names() == ["describe_instance_information"] * 2


def test_a_refusal_is_not_retried(fake_client, aws_error):
    client = fake_client(send_command=aws_error("InvalidInstanceId"))
    log = ActionLog("volatile_capture", check_mode=False)
    with pytest.raises(ClientError):
        log.call(RetryingBotoClientWrapper(client, DEFAULT_RETRY), "ssm", "SendCommand", "AWS-RunShellScript",
                 {"InstanceIds": ["i-1"], "DocumentName": "AWS-RunShellScript"})
    assert client.names() == ["send_command"]
    assert (log.records[0]["outcome"], log.records[0]["error_code"]) == ("error", "InvalidInstanceId")


class Clock:
    """A stand-in for the time module: sleep() moves monotonic() on instead of waiting."""

    def __init__(self):
        self.now = 0.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(retry, "time", fake)
    return fake


def test_poll_reads_until_done(clock):
    values = iter(["pending", "pending", "completed"])
    assert poll(lambda: next(values), lambda v: v == "completed", wait_timeout=60, delay=5) == ("completed", True)
    assert clock.slept == [5, 5]


def test_poll_waits_longer_each_time_up_to_max_delay(clock):
    values = iter(["pending"] * 5 + ["completed"])
    assert poll(lambda: next(values), lambda v: v == "completed", wait_timeout=600, delay=1.0, backoff=2.0, max_delay=5.0) == ("completed", True)
    assert clock.slept == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_poll_reads_a_last_time_when_the_wait_runs_out(clock):
    reads = []
    assert poll(lambda: reads.append(clock.now) or "pending", lambda v: v == "completed", wait_timeout=12, delay=5) == ("pending", False)
    assert reads == [0, 5, 10, 12] and clock.slept == [5, 5, 2]


@pytest.mark.parametrize("code", THROTTLING)
def test_a_call_throttled_at_every_attempt_is_reported_as_throttled_naming_the_api_where_and_the_attempts(fake_client, code):
    error = ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"RequestId": "r", "RetryAttempts": 0}}, "GetCallerIdentity")
    client = fake_client(get_caller_identity=error)
    with pytest.raises(ClientError) as raised:
        RetryingBotoClientWrapper(client, DEFAULT_RETRY).get_caller_identity(aws_retry=True)
    assert client.names() == ["get_caller_identity"] * retry.RETRY_ATTEMPTS == ["get_caller_identity"] * 12
    assert retry.throttled_code(raised.value) == code
    assert retry.describe_throttled(raised.value, None, "eu-west-1") == (
        f"AWS throttled GetCallerIdentity ({code}) in the account of these credentials (not yet identified), Region eu-west-1, "
        "12 attempts in a row (the collection's retry policy): the request rate of this API is exhausted, "
        "the credentials were not refused; a throttled request changes nothing. Run again when fewer requests are made, or ask AWS for a higher rate")
    assert "in account 123456789012, Region eu-west-1, 12 attempts" in retry.describe_throttled(raised.value, "123456789012", "eu-west-1")


@pytest.mark.parametrize("code", ["AccessDenied", "InvalidClientTokenId", "ExpiredToken", "ServiceUnavailable", "InternalError"])
def test_an_error_that_is_not_throttling_is_not_called_throttled(aws_error, code):
    assert retry.throttled_code(aws_error(code)) is None


def server_error(code, status, operation):
    """A ClientError as botocore raises it for an AWS server error (5xx): AWS may have acted before it failed."""
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"RequestId": "req-5xx", "HTTPStatusCode": status}}, operation)


# The server errors AWSRetry retries (amazon.aws retries.AWSRetry.found), with the status AWS answers them with.
SERVER_ERRORS = [("InternalError", 500), ("InternalFailure", 500), ("ServiceUnavailable", 503), ("Unavailable", 503)]
# Creates that take no client token (EC2 API Reference: CreateSnapshots, CreateSecurityGroup; SSM: SendCommand): a repeat makes a second one.
CREATES = [("ec2", "CreateSnapshots", {"InstanceSpecification": {"InstanceId": "i-1"}}),
           ("ec2", "CreateSecurityGroup", {"GroupName": "aws-ir-quarantine", "Description": "d", "VpcId": "vpc-1"}),
           ("ssm", "SendCommand", {"InstanceIds": ["i-1"], "DocumentName": "AWS-RunShellScript"})]


@pytest.mark.parametrize("code, status", SERVER_ERRORS)
@pytest.mark.parametrize("service, action, parameters", CREATES, ids=[c[1] for c in CREATES])
def test_a_create_answered_with_a_server_error_is_made_once_and_recorded_as_a_change_that_may_have_happened(
        fake_client, service, action, parameters, code, status):
    method = xform_name(action)
    client = fake_client(**{method: [server_error(code, status, action), {"ResponseMetadata": {"RequestId": "r-2"}}]})
    log = ActionLog("snapshot", check_mode=False)
    with pytest.raises(ClientError):
        log.call(RetryingBotoClientWrapper(client, DEFAULT_RETRY), service, action, "t", parameters)
    assert client.names() == [method]
    [record] = log.records
    assert (record["outcome"], record["error_code"], record["may_have_changed"]) == ("error", code, True)


@pytest.mark.parametrize("error", [ReadTimeoutError(endpoint_url="https://ec2.eu-west-1.amazonaws.com"),
                                   ConnectionClosedError(endpoint_url="https://ec2.eu-west-1.amazonaws.com")], ids=type)
def test_a_create_without_an_answer_is_made_once_and_recorded_as_a_change_that_may_have_happened(fake_client, error):
    client = fake_client(create_snapshots=[error, {"Snapshots": []}])
    log = ActionLog("snapshot", check_mode=False)
    with pytest.raises(BotoCoreError):
        log.call(RetryingBotoClientWrapper(client, DEFAULT_RETRY), "ec2", "CreateSnapshots", "i-1", {"InstanceSpecification": {"InstanceId": "i-1"}})
    assert client.names() == ["create_snapshots"]
    assert (log.records[0]["error_code"], log.records[0]["may_have_changed"]) == (type(error).__name__, True)


@pytest.mark.parametrize("error", [client_error("InvalidInstanceId"), server_error("RequestLimitExceeded", 503, "SendCommand"),
                                   ParamValidationError(report="Unknown parameter")], ids=["4xx", "throttled", "not sent"])
def test_an_answer_that_says_aws_did_not_act_is_not_marked_as_a_change_that_may_have_happened(error):
    assert not retry.may_have_acted(error)


@pytest.mark.parametrize("code, status", SERVER_ERRORS)
def test_a_read_answered_with_a_server_error_is_read_again(fake_client, code, status):
    client = fake_client(describe_snapshots=[server_error(code, status, "DescribeSnapshots"), {"Snapshots": []}])
    assert RetryingBotoClientWrapper(client, DEFAULT_RETRY).describe_snapshots(aws_retry=True) == {"Snapshots": []}
    assert client.names() == ["describe_snapshots"] * 2
    pages = fake_client(describe_instances=[server_error(code, status, "DescribeInstances"), {"Reservations": []}])
    assert paginate(pages, "describe_instances") == {"Reservations": []}
    assert pages.names() == ["describe_instances"] * 2


@pytest.mark.parametrize("error", [ReadTimeoutError(endpoint_url="https://ec2.eu-west-1.amazonaws.com"),
                                   ConnectionClosedError(endpoint_url="https://ec2.eu-west-1.amazonaws.com"),
                                   EndpointConnectionError(endpoint_url="https://ec2.eu-west-1.amazonaws.com")], ids=type)
def test_a_read_without_an_answer_is_read_again_and_a_change_is_not(fake_client, error):
    # Reading again repeats nothing; repeating CreateSnapshots could make a second set (see the test above).
    client = fake_client(describe_snapshots=[error, {"Snapshots": []}], create_snapshots=[error, {"Snapshots": []}])
    wrapped = RetryingBotoClientWrapper(client, DEFAULT_RETRY)
    assert wrapped.describe_snapshots(aws_retry=True) == {"Snapshots": []}
    with pytest.raises(BotoCoreError):
        wrapped.create_snapshots(aws_retry=True, InstanceSpecification={"InstanceId": "i-1"})
    assert client.names() == ["describe_snapshots", "describe_snapshots", "create_snapshots"]
    pages = fake_client(describe_instances=[error, {"Reservations": []}])
    assert paginate(pages, "describe_instances") == {"Reservations": []}
    assert pages.names() == ["describe_instances"] * 2


def test_a_read_never_answered_fails_after_the_policy_s_attempts(fake_client):
    client = fake_client(describe_snapshots=EndpointConnectionError(endpoint_url="https://ec2.eu-west-1.amazonaws.com"))
    with pytest.raises(EndpointConnectionError):
        RetryingBotoClientWrapper(client, DEFAULT_RETRY).describe_snapshots(aws_retry=True)
    assert client.names() == ["describe_snapshots"] * retry.RETRY_ATTEMPTS


INSTANCE = {"InstanceSpecification": {"InstanceId": "i-1"}}


def test_a_snapshot_refused_for_a_volume_snapshotted_moments_ago_is_retried_but_not_a_server_error(fake_client, aws_error):
    client = fake_client(create_snapshots=[aws_error("SnapshotCreationPerVolumeRateExceeded"), {"Snapshots": []}])
    assert RetryingBotoClientWrapper(client, forensic_snapshot.SNAPSHOT_RETRY).create_snapshots(aws_retry=True, **INSTANCE) == {"Snapshots": []}
    assert client.names() == ["create_snapshots"] * 2
    failing = fake_client(create_snapshots=[server_error("InternalError", 500, "CreateSnapshots"), {"Snapshots": []}])
    with pytest.raises(ClientError):
        RetryingBotoClientWrapper(failing, forensic_snapshot.SNAPSHOT_RETRY).create_snapshots(aws_retry=True, **INSTANCE)
    assert failing.names() == ["create_snapshots"]
