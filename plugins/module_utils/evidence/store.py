# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Writing our own records (the manifest, the case report) into the evidence bucket, and reading them back.

Every upload carries the SHA-256 we computed (S3 checks it and keeps it as the
object's checksum) and, where the bucket has Object Lock, a retention: S3
refuses Object Lock parameters without a checksum, and the stored checksum
tells a version we wrote from one written by other means.
"""

import base64
import datetime
import hashlib

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import s3_uri
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import object_lock_configuration

# S3 accepts Object Lock retention periods of up to 100 years.
MAX_RETENTION_DAYS = 36500


def retention_days_problem(days):
    """What is wrong with object_lock_retention_days (str), or None."""
    if not 1 <= days <= MAX_RETENTION_DAYS:
        return f"object_lock_retention_days {days} is not between 1 and {MAX_RETENTION_DAYS}"
    return None


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def checksum_sha256(digest_hex):
    """The x-amz-checksum-sha256 form (base64 of the raw digest) of a hex SHA-256."""
    return base64.b64encode(bytes.fromhex(digest_hex)).decode()


# S3's answers to a conditional write whose condition no longer holds: another writer got there first
# (412), or wrote at the same moment (409); the writer re-reads and tries again (S3 User Guide, conditional writes).
CONDITION_FAILED = ["PreconditionFailed", "ConditionalRequestConflict"]


def read_current(client, bucket, key):
    """(bytes, {"version_id", "sha256"}) of the current version of key, or (None, None) when there is none."""
    body, version, _etag = read_for_update(client, bucket, key)
    return body, version


def read_for_update(client, bucket, key):
    """As read_current, plus the ETag a conditional write of the next version names (None when there is no version)."""
    try:
        response = client.get_object(aws_retry=True, Bucket=bucket, Key=key)
    except is_boto3_error_code(["NoSuchKey", "404"]):
        return None, None, None
    body = response["Body"].read()
    return body, {"version_id": response.get("VersionId"), "sha256": sha256_hex(body)}, response["ETag"]


def write_condition(etag):
    """The PutObject condition that makes a write fail when key changed since it was read: If-Match its ETag, If-None-Match * when it had none."""
    return {"IfNoneMatch": "*"} if etag is None else {"IfMatch": etag}


def retention(client, bucket, mode, days, now=None):
    """{"mode", "retain_until_date" (ISO 8601 UTC), "until" (datetime)} for new objects, or None when the bucket has no Object Lock."""
    if object_lock_configuration(client, bucket).get("ObjectLockEnabled") != "Enabled":
        return None
    until = (now or datetime.datetime.now(datetime.timezone.utc)) + datetime.timedelta(days=days)
    return {"mode": mode, "retain_until_date": until.isoformat(timespec="seconds").replace("+00:00", "Z"), "until": until}


def put_record(log, client, bucket, key, body, content_type, lock, metadata=None, instance_ids=None, condition=None):
    """PutObject of body with its SHA-256 checksum and the retention lock (or None), recorded in log
    (as concerning instance_ids, by default none).

    condition: write_condition() to make the write conditional, or None.
    Returns (version_id, sha256 hex); version_id is None in check mode.
    """
    digest = sha256_hex(body)
    parameters = {
        "Bucket": bucket, "Key": key, "Body": body, "ContentType": content_type,
        # S3 refuses an Object Lock upload without x-amz-sdk-checksum-algorithm (or Content-MD5);
        # the value we computed is sent as x-amz-checksum-sha256 and S3 verifies it.
        "ChecksumAlgorithm": "SHA256",
        "ChecksumSHA256": checksum_sha256(digest),
        "Metadata": dict(metadata or {}),
    }
    parameters.update(condition or {})
    if lock is not None:
        parameters.update(ObjectLockMode=lock["mode"], ObjectLockRetainUntilDate=lock["until"])
    recorded = {k: v for k, v in parameters.items() if k not in ("Body", "ObjectLockRetainUntilDate")}
    recorded.update(ContentLength=len(body), ObjectLockRetainUntilDate=lock and lock["retain_until_date"])
    response = log.call(client, "s3", "PutObject", s3_uri(bucket, key), parameters, instance_ids=instance_ids, recorded=recorded,
                        after_from=lambda r: {"version_id": r.get("VersionId"), "sha256": digest})
    return (response or {}).get("VersionId"), digest
