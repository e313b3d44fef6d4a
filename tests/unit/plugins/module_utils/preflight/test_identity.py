"""preflight identity: what the responder is told when the credentials are missing or refused."""
import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.exceptions import NoCredentialsError

from ansible_collections.secops.aws_ir.plugins.module_utils.preflight import identity


@pytest.mark.parametrize("error, message", [
    (NoCredentialsError(), "no AWS credentials were found: set AWS_PROFILE"),
    ("InvalidClientTokenId", "the AWS credentials were refused by STS GetCallerIdentity: An error occurred (InvalidClientTokenId)"),
    ("ExpiredToken", "the AWS credentials were refused by STS GetCallerIdentity: An error occurred (ExpiredToken)"),
])
def test_missing_credentials_are_told_apart_from_refused_ones(fake_client, aws_error, error, message):
    client = fake_client(get_caller_identity=aws_error(error, "GetCallerIdentity") if isinstance(error, str) else error)
    with pytest.raises(identity.TargetError) as raised:
        identity.caller_identity(client)
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize("code", ["Throttling", "RequestLimitExceeded", "ThrottlingException", "SlowDown"])
def test_throttled_credentials_are_not_called_refused(fake_client, aws_error, code):
    # Left to AwsIrModule.run, which reports it as throttled with the API, where and the attempts.
    client = fake_client(get_caller_identity=aws_error(code, "GetCallerIdentity"))
    with pytest.raises(ClientError) as raised:
        identity.caller_identity(client)
    assert raised.value.response["Error"]["Code"] == code


@pytest.mark.parametrize("region, known", [("eu-west-1", True), ("cn-north-1", True), ("us-gov-west-1", True), ("us-nowhere-1", False), ("", False)])
def test_the_region_is_checked_against_every_partition_botocore_knows(region, known):
    session = boto3.session.Session()
    if known:
        assert identity.validate_region(session, region) == region
    else:
        with pytest.raises(identity.TargetError):
            identity.validate_region(session, region)
