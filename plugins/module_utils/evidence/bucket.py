# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The evidence bucket: its default name and the checks made before any change.

Evidence goes into a bucket that keeps every version (versioning), ideally
cannot be overwritten (Object Lock) and is encrypted at rest. A bucket without
versioning is refused; one without Object Lock or default encryption is accepted
with a warning.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError


# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class BucketError(AwsIrError, ValueError):
    """An evidence bucket that cannot be used; the message names the bucket."""


class BucketAccessDenied(BucketError):
    """S3 answered AccessDenied: no permission, or (with ExpectedBucketOwner) a bucket of another account (see owner.py)."""


def default_bucket_name(account_id, region):
    """aws-ir-evidence-<account id>-<Region>: unique per account and Region, as bucket names must be."""
    return f"aws-ir-evidence-{account_id}-{region}"


def validate_bucket_name(name, field="bucket"):
    """Raise BucketError unless name follows the S3 bucket naming rules; return it."""
    if not isinstance(name, str) or not _BUCKET_NAME.match(name) or ".." in name:
        raise BucketError(f"{field} {name!r} is not a valid S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)")
    return name


def bucket_region(client, name):
    """The bucket's Region (GetBucketLocation; an empty LocationConstraint means us-east-1).

    Raises BucketError when the bucket does not exist or cannot be read.
    """
    try:
        constraint = client.get_bucket_location(aws_retry=True, Bucket=name).get("LocationConstraint")
    except is_boto3_error_code(["NoSuchBucket", "404"]):
        raise NotFoundError(f"evidence bucket {name!r} does not exist (looked for with the credentials of {{where}})") from None
    except is_boto3_error_code(["AccessDenied", "403"]):
        raise BucketAccessDenied(f"evidence bucket {name!r} cannot be read with these credentials (AccessDenied)") from None
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(constraint, constraint)


def inspect_bucket(client, name, region):
    """Check the evidence bucket; returns (facts dict, warnings list).

    facts: name, region, versioning ("Enabled", "Suspended" or "Disabled"),
    object_lock (bool), default_retention (dict or None: mode, days or years),
    encryption (SSE algorithm, e.g. "aws:kms" or "AES256", or None).
    Raises BucketError when the bucket is missing, in another Region than
    region, or does not keep versions.
    """
    validate_bucket_name(name)
    actual_region = bucket_region(client, name)
    if actual_region != region:
        raise BucketError(f"evidence bucket {name!r} is in {actual_region}, not in {region}: use a bucket in the Region of the instances")
    versioning = client.get_bucket_versioning(aws_retry=True, Bucket=name).get("Status") or "Disabled"
    if versioning != "Enabled":
        raise BucketError(f"evidence bucket {name!r} has versioning {versioning}: evidence needs a bucket that keeps every version")
    lock = object_lock_configuration(client, name)
    facts = {
        "name": name,
        "region": actual_region,
        "versioning": versioning,
        "object_lock": lock.get("ObjectLockEnabled") == "Enabled",
        "default_retention": _default_retention(lock),
        "encryption": _encryption(client, name),
    }
    return facts, _warnings(facts)


def object_lock_configuration(client, name):
    """The bucket's ObjectLockConfiguration (GetObjectLockConfiguration), {} when it has none."""
    try:
        return client.get_object_lock_configuration(aws_retry=True, Bucket=name).get("ObjectLockConfiguration", {})
    except is_boto3_error_code("ObjectLockConfigurationNotFoundError"):
        return {}


def _default_retention(lock):
    retention = lock.get("Rule", {}).get("DefaultRetention")
    if not retention:
        return None
    return {"mode": retention.get("Mode"), "days": retention.get("Days"), "years": retention.get("Years")}


def _encryption(client, name):
    try:
        rules = client.get_bucket_encryption(aws_retry=True, Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    except is_boto3_error_code("ServerSideEncryptionConfigurationNotFoundError"):
        return None
    for rule in rules:
        algorithm = rule.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
        if algorithm:
            return algorithm
    return None


def _warnings(facts):
    warnings = []
    if not facts["object_lock"]:
        warnings.append(f"evidence bucket {facts['name']!r} has no Object Lock: stored evidence can be overwritten or deleted")
    elif not facts["default_retention"]:
        # The SSM Agent cannot ask for a retention when it uploads command output; only a default one locks it.
        warnings.append(f"evidence bucket {facts['name']!r} has Object Lock but no default retention: "
                        "the volatile data the SSM Agent uploads is not locked")
    if not facts["encryption"]:
        warnings.append(f"evidence bucket {facts['name']!r} has no default encryption")
    return warnings
