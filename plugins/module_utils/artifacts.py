# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Artifacts: evidence objects in S3, described by what S3 holds, never by what an API said.

Size and SHA-256 are computed from the bytes read back from S3 (streamed, so a
memory image of many GiB needs little memory), and the object's VersionId pins
the exact version an auditor will verify.
"""

import hashlib

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

_CHUNK = 8 * 1024 * 1024


def s3_uri(bucket, key):
    return f"s3://{bucket}/{key}"


def list_keys(client, bucket, prefix):
    """{key: size in bytes} of every object under prefix (ListObjectsV2, paginated)."""
    listing = paginate(client, "list_objects_v2", Bucket=bucket, Prefix=prefix)
    return {item["Key"]: item["Size"] for item in listing.get("Contents", [])}


def key_versions(client, bucket, key):
    """Every version and delete marker of exactly this key (ListObjectVersions, paginated).

    Returns a list of {"version_id", "is_latest", "delete_marker" (bool), "last_modified"}.
    """
    listing = paginate(client, "list_object_versions", Bucket=bucket, Prefix=key)
    found = [dict(entry, delete_marker=False) for entry in listing.get("Versions", [])]
    found += [dict(entry, delete_marker=True) for entry in listing.get("DeleteMarkers", [])]
    return [{"version_id": e["VersionId"], "is_latest": e["IsLatest"], "delete_marker": e["delete_marker"],
             "last_modified": e["LastModified"]} for e in found if e["Key"] == key]


def read_artifact(client, bucket, key, keep_bytes=0, version_id=None):
    """Read an object (its current version, or version_id) back and describe it; None when it does not exist.

    Returns {"bucket", "key", "s3_uri", "version_id", "size_bytes", "sha256"
    (hex), "head"}: head holds the first keep_bytes bytes (for parsing), or b"".
    """
    version = {"VersionId": version_id} if version_id else {}
    try:
        response = client.get_object(aws_retry=True, Bucket=bucket, Key=key, **version)
    except is_boto3_error_code(["NoSuchKey", "NoSuchVersion", "404"]):
        return None
    digest, size, head = hashlib.sha256(), 0, bytearray()
    for chunk in response["Body"].iter_chunks(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if len(head) < keep_bytes:
            head.extend(chunk[:keep_bytes - len(head)])
    return {
        "bucket": bucket,
        "key": key,
        "s3_uri": s3_uri(bucket, key),
        "version_id": response.get("VersionId"),
        "size_bytes": size,
        "sha256": digest.hexdigest(),
        "head": bytes(head),
    }
