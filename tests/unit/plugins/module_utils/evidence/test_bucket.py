"""The evidence bucket checks of the preflight, on fake S3 answers."""

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import BucketError
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import inspect_bucket

LOCK = {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 400}}}}
SSE = {"ServerSideEncryptionConfiguration": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}}


def bucket(fake_client, aws_error, versioning="Enabled", lock=None, encryption=None, region=None):
    """A fake S3 client for one bucket; lock and encryption default to LOCK and SSE, False means none."""
    lock = LOCK if lock is None else lock
    encryption = SSE if encryption is None else encryption
    return fake_client(
        get_bucket_location={"LocationConstraint": region},
        get_bucket_versioning={"Status": versioning} if versioning else {},
        get_object_lock_configuration=lock if lock else aws_error("ObjectLockConfigurationNotFoundError"),
        get_bucket_encryption=encryption if encryption else aws_error("ServerSideEncryptionConfigurationNotFoundError"),
    )


def test_a_locked_encrypted_versioned_bucket_passes_without_warning(fake_client, aws_error):
    facts, warnings = inspect_bucket(bucket(fake_client, aws_error), "evidence", "us-east-1")
    assert warnings == []
    assert facts == {"name": "evidence", "region": "us-east-1", "versioning": "Enabled", "object_lock": True,
                     "default_retention": {"mode": "COMPLIANCE", "days": 400, "years": None}, "encryption": "aws:kms"}


@pytest.mark.parametrize("versioning", [None, "Suspended"])
def test_a_bucket_that_does_not_keep_every_version_is_refused(fake_client, aws_error, versioning):
    client = bucket(fake_client, aws_error, versioning=versioning)
    with pytest.raises(BucketError, match=f"evidence bucket 'evidence' has versioning {versioning or 'Disabled'}"):
        inspect_bucket(client, "evidence", "us-east-1")
    assert "get_object_lock_configuration" not in client.names()


def test_a_bucket_in_another_region_is_refused(fake_client, aws_error):
    with pytest.raises(BucketError, match="evidence bucket 'evidence' is in eu-west-1, not in us-east-1"):
        inspect_bucket(bucket(fake_client, aws_error, region="eu-west-1"), "evidence", "us-east-1")


@pytest.mark.parametrize("lock, encryption, expected", [
    (False, SSE, ["evidence bucket 'evidence' has no Object Lock: stored evidence can be overwritten or deleted"]),
    ({"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}}, SSE,
     ["evidence bucket 'evidence' has Object Lock but no default retention: the volatile data the SSM Agent uploads is not locked"]),
    (LOCK, False, ["evidence bucket 'evidence' has no default encryption"]),
])
def test_a_weaker_bucket_is_accepted_with_a_warning_per_weakness(fake_client, aws_error, lock, encryption, expected):
    _facts, warnings = inspect_bucket(bucket(fake_client, aws_error, lock=lock, encryption=encryption), "evidence", "us-east-1")
    assert warnings == expected
