# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Artifacts: evidence objects in S3, described by what S3 holds, never by what an API said.

Size and SHA-256 are computed from the bytes read back from S3 (streamed, so a
memory image of many GiB needs little memory), and the object's VersionId pins
the exact version an auditor will verify. The object is read with
ChecksumMode=ENABLED: whatever checksum S3 stored for it is recorded, botocore
checks the bytes against it as they arrive, and a full-object SHA-256 checksum
must equal the hash we compute.
"""

import base64
import binascii
import hashlib

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

_CHUNK = 8 * 1024 * 1024
# GetObject answer fields that carry the checksum S3 stored, by algorithm.
_CHECKSUMS = ("SHA256", "SHA1", "CRC64NVME", "CRC32C", "CRC32")


def s3_uri(bucket, key):
    return f"s3://{bucket}/{key}"


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
    (hex), "s3_checksum" (see s3_checksum), "head"}: head holds the first
    keep_bytes bytes (for parsing), or b"".
    """
    version = {"VersionId": version_id} if version_id else {}
    try:
        response = client.get_object(aws_retry=True, Bucket=bucket, Key=key, ChecksumMode="ENABLED", **version)
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
        "s3_checksum": s3_checksum(response, digest.digest()),
        "head": bytes(head),
    }


def s3_checksum(response, sha256_digest):
    """The checksum S3 stored for an object, or None: {"algorithm", "value" (base64, as S3 gives it), "type"}.

    A full-object SHA-256 is compared with sha256_digest (bytes) and "matches" says
    whether they agree; a composite one (multipart, "value-N") covers part hashes
    and cannot be compared with the hash of the whole object.
    """
    for algorithm in _CHECKSUMS:
        value = response.get(f"Checksum{algorithm}")
        if not value:
            continue
        found = {"algorithm": algorithm, "value": value, "type": response.get("ChecksumType") or ("COMPOSITE" if "-" in value else "FULL_OBJECT")}
        if algorithm == "SHA256" and found["type"] == "FULL_OBJECT":
            try:
                found["matches"] = base64.b64decode(value) == sha256_digest
            except (binascii.Error, ValueError):
                found["matches"] = False
        return found
    return None
