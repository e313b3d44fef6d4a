"""The retry policy every read and every ActionLog write goes through: each service's throttling code is retried."""

import pytest
from botocore.exceptions import ClientError

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.secops.aws_ir.plugins.module_utils import retry
from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import DEFAULT_RETRY
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import poll


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
        log.call(RetryingBotoClientWrapper(client, DEFAULT_RETRY), "ssm", "SendCommand", "AWS-RunShellScript", {"InstanceIds": ["i-1"]})
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


def test_poll_reads_a_last_time_when_the_wait_runs_out(clock):
    reads = []
    assert poll(lambda: reads.append(clock.now) or "pending", lambda v: v == "completed", wait_timeout=12, delay=5) == ("pending", False)
    assert reads == [0, 5, 10, 12] and clock.slept == [5, 5, 2]


@pytest.mark.parametrize("code", THROTTLING)
def test_a_call_throttled_at_every_attempt_is_reported_as_throttled_naming_the_api_where_and_the_attempts(fake_client, code):
    # botocore gave up after its own 3 attempts (RetryAttempts 2) each time: 12 x 3 requests were throttled.
    error = ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"RequestId": "r", "RetryAttempts": 2}}, "GetCallerIdentity")
    client = fake_client(get_caller_identity=error)
    with pytest.raises(ClientError) as raised:
        RetryingBotoClientWrapper(client, DEFAULT_RETRY).get_caller_identity(aws_retry=True)
    assert client.names() == ["get_caller_identity"] * retry.RETRY_ATTEMPTS == ["get_caller_identity"] * 12
    assert retry.throttled_code(raised.value) == code
    assert retry.describe_throttled(raised.value, None, "eu-west-1") == (
        f"AWS throttled GetCallerIdentity ({code}) in the account of these credentials (not yet identified), Region eu-west-1, "
        "36 attempts in a row (12 of the collection's retry policy, each of 3 by botocore): the request rate of this API is exhausted, "
        "the credentials were not refused; a throttled request changes nothing. Run again when fewer requests are made, or ask AWS for a higher rate")
    assert "in account 123456789012, Region eu-west-1, 36 attempts" in retry.describe_throttled(raised.value, "123456789012", "eu-west-1")


@pytest.mark.parametrize("code", ["AccessDenied", "InvalidClientTokenId", "ExpiredToken", "ServiceUnavailable", "InternalError"])
def test_an_error_that_is_not_throttling_is_not_called_throttled(aws_error, code):
    assert retry.throttled_code(aws_error(code)) is None
