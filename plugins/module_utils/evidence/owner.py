# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The evidence bucket is ours: every request on it names the account that must own it.

Bucket names are global and the default one (aws-ir-evidence-<account>-<Region>) is predictable, so
another account can create it first and receive the evidence. S3 refuses (403) any request whose
ExpectedBucketOwner is not the bucket's owner (S3 User Guide, "Verifying bucket ownership with bucket
owner condition"); the expected owner is the responder's own account (STS GetCallerIdentity).
SSM Run Command uploads the command output with the instance's credentials and has no such parameter:
docs/chain-of-custody.md says what protects those uploads.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import BucketAccessDenied
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import BucketError
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import inspect_bucket

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK.

_OWNER = "ExpectedBucketOwner"


def expect_owner(client, bucket, account):
    """Make every request of client (a boto3 S3 client, or amazon.aws' retrying wrapper of one) on bucket carry ExpectedBucketOwner=account."""
    def add_owner(params, model, context=None, **kwargs):
        del kwargs
        # A presigned URL would sign the header, and the instance that uses it (memory upload) does not send it.
        if params.get("Bucket") == bucket and _OWNER in model.input_shape.members and not (context or {}).get("is_presign_request"):
            params.setdefault(_OWNER, account)

    getattr(client, "client", client).meta.events.register("provide-client-params.s3", add_owner)
    return client


def evidence_client(module, bucket, **extra_params):
    """An S3 client of module (extra_params as AwsIrModule.client) whose requests on the evidence bucket name its owner:
    the module's bucket_owner option where it has one and it is set, else the caller's account."""
    owner = module.params.get("bucket_owner") or module.caller_identity()["Account"]
    return expect_owner(module.client("s3", **extra_params), bucket, owner)


def check_owner(plain_client, bucket, account):
    """Raise BucketError when bucket belongs to another account than account.

    Asked only after a request naming the expected owner was refused (AccessDenied): the same read
    without it tells a bucket of another account (it answers) from credentials that cannot read it.
    plain_client: an S3 client that does not add ExpectedBucketOwner.
    """
    try:
        plain_client.get_bucket_location(aws_retry=True, Bucket=bucket)
    except is_boto3_error_code(["AccessDenied", "403"]):
        raise BucketError(f"evidence bucket {bucket!r} cannot be read with these credentials (AccessDenied): either another account than "
                          f"{account} (the responder's) owns it, or these credentials lack s3:GetBucketLocation on it") from None
    except ClientError:
        return
    raise BucketError(f"evidence bucket {bucket!r} is not owned by account {account} (the responder's, from GetCallerIdentity): S3 refused "
                      f"ExpectedBucketOwner={account}, so another account owns it and would receive the evidence. Nothing was changed: "
                      "name a bucket of your own account with evidence_bucket")


def inspect_owned_bucket(module, name, region, account, client_options=None):
    """inspect_bucket with every request naming account as the owner; a bucket of another account is refused, naming both.

    client_options: AwsIrModule.client's extra parameters (another account's credentials, a Region), for a member account's bucket.
    """
    client_options = client_options or {}
    try:
        return inspect_bucket(expect_owner(module.client("s3", **client_options), name, account), name, region)
    except BucketAccessDenied:
        check_owner(module.client("s3", **client_options), name, account)
        raise
