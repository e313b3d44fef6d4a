# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Artifacts copied into the forensic account's evidence bucket, by that account's role, and checked there.

An administrator of the compromised account can delete what its bucket holds (a GOVERNANCE
retention can be bypassed; a bucket may have no Object Lock). Each artifact is therefore copied,
by the forensic account's role, into that account's versioned bucket under its Object Lock; the
copy names its source (metadata source-s3-uri, source-version-id), by which a re-run finds it, and
is read back and hashed: its SHA-256 must equal the one recorded for the source. Large objects
(memory images) are copied in parts side by side by boto3's managed copy (UploadPartCopy).
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import key_versions
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import read_artifact
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import s3_uri

KIND = "forensic_copy"
SOURCE_URI = "source-s3-uri"
SOURCE_VERSION = "source-version-id"


class ReplicationError(AwsIrError, RuntimeError):
    """A destination bucket that cannot hold the copies, or a copy whose SHA-256 differs from its source's."""


def check_bucket(s3, bucket, account_id):
    """Refuse, before any copy, a forensic bucket that is missing, not owned by account_id, or not versioned."""
    field = f"copy_to.evidence_bucket {bucket!r}"
    try:
        s3.head_bucket(aws_retry=True, Bucket=bucket, ExpectedBucketOwner=account_id)
    except is_boto3_error_code(["404", "NoSuchBucket"]):
        raise NotFoundError(f"{field} does not exist in {{where}}", account=account_id, global_service=True) from None
    except is_boto3_error_code(["403", "AccessDenied"]):
        raise ReplicationError(f"{field} is not owned by the forensic account {account_id} (or its role may not reach it)") from None
    status = s3.get_bucket_versioning(aws_retry=True, Bucket=bucket, ExpectedBucketOwner=account_id).get("Status")
    if status != "Enabled":
        raise ReplicationError(f"{field} has no versioning (status {status or 'never enabled'}): every copy must keep its version")


def find_copy(s3, bucket, source):
    """The version of source's copy in bucket (its metadata names the source version), or None."""
    for version in key_versions(s3, bucket, source["key"]):
        if version["delete_marker"]:
            continue
        try:
            head = s3.head_object(aws_retry=True, Bucket=bucket, Key=source["key"], VersionId=version["version_id"])
        except is_boto3_error_code(["404", "NoSuchKey", "NoSuchVersion"]):
            continue
        metadata = head.get("Metadata", {})
        if metadata.get(SOURCE_URI) == source["s3_uri"] and metadata.get(SOURCE_VERSION) == (source.get("version_id") or ""):
            return version["version_id"]
    return None


class ManagedCopy:  # pylint: disable=too-few-public-methods
    """copy_object as the action log calls it, made with boto3's managed copy (parts side by side above the threshold).

    boto3's copy() has no single answer to record: the new version is read with HeadObject.
    """

    def __init__(self, s3, transfer_config):
        self.s3 = s3
        self.config = transfer_config

    def copy_object(self, aws_retry=True, **parameters):
        del aws_retry  # s3transfer retries its own requests
        source = parameters["CopySource"]
        extra = {k: v for k, v in parameters.items() if k not in ("CopySource", "Bucket", "Key")}
        self.s3.copy(source, parameters["Bucket"], parameters["Key"], ExtraArgs=extra, Config=self.config)
        # A managed copy returns nothing: the newest version whose metadata names this source is the copy.
        return {"VersionId": self.s3.head_object(Bucket=parameters["Bucket"], Key=parameters["Key"])["VersionId"]}


def copy_artifact(log, copier, s3, source, bucket, lock, instance_ids):
    """Copy one artifact into bucket (recorded as CopyObject), read the copy back and compare its SHA-256.

    source: a recorded artifact (bucket, key, s3_uri, version_id, sha256). Returns the copy's
    artifact entry; in check mode the planned one. Raises ReplicationError when the copy's SHA-256
    differs from the source's.
    """
    parameters = {
        "CopySource": {"Bucket": source["bucket"], "Key": source["key"], **({"VersionId": source["version_id"]} if source.get("version_id") else {})},
        "Bucket": bucket, "Key": source["key"], "ChecksumAlgorithm": "SHA256", "MetadataDirective": "REPLACE",
        "Metadata": {SOURCE_URI: source["s3_uri"], SOURCE_VERSION: source.get("version_id") or ""},
    }
    recorded = dict(parameters)
    if lock is not None:
        # The retention travels with the copy request (CopyObject, or CreateMultipartUpload for a copy in parts), so that
        # the copy is locked from the moment it exists: no window in which its version could be deleted.
        parameters.update(ObjectLockMode=lock["mode"], ObjectLockRetainUntilDate=lock["until"])
        recorded.update(ObjectLockMode=lock["mode"], ObjectLockRetainUntilDate=lock["retain_until_date"])
    target = s3_uri(bucket, source["key"])
    answer = log.call(copier, "s3", "CopyObject", target, parameters, instance_ids=instance_ids, recorded=recorded,
                      after_from=lambda r: {"version_id": r.get("VersionId")})
    if answer is None:
        return describe_copy(source, {"bucket": bucket, "key": source["key"], "s3_uri": target,
                                      "version_id": None, "size_bytes": source.get("size_bytes", 0), "sha256": source["sha256"]})
    return verified(s3, source, bucket, answer["VersionId"])


def verified(s3, source, bucket, version_id):
    """The copy's entry, read back at version_id; raises ReplicationError when its SHA-256 is not the source's."""
    copy = read_artifact(s3, bucket, source["key"], version_id=version_id)
    if copy is None or copy["sha256"] != source["sha256"]:
        found = copy["sha256"] if copy else "nothing"
        raise ReplicationError(f"the copy of {source['s3_uri']} in {s3_uri(bucket, source['key'])} (version {version_id}) has SHA-256 "
                               f"{found}, its source {source['sha256']}")
    return describe_copy(source, copy)


def describe_copy(source, copy):
    """A copy as recorded among the instance's artifacts: where it is, its size and SHA-256, and its source."""
    return {"kind": KIND, "bucket": copy["bucket"], "key": copy["key"], "s3_uri": copy["s3_uri"], "version_id": copy["version_id"],
            "size_bytes": copy["size_bytes"], "sha256": copy["sha256"], "source_s3_uri": source["s3_uri"],
            "source_version_id": source.get("version_id")}
