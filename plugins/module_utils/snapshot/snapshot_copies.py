# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Forensic copies: each original snapshot copied under a customer managed KMS key, and only the copy shared.

A snapshot encrypted with the AWS managed key aws/ebs cannot be shared with another
account, and a snapshot is shared only in its own Region. So each completed original
is copied (CopySnapshot with Encrypted and KmsKeyId, made by a client in the
destination Region) under a customer managed key, and the copy, never the original,
gets the forensic account's createVolumePermission. A copy carries the original's
tags plus SourceSnapshotId, by which a re-run finds it (its VolumeId is arbitrary).
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.snapshots import SOURCE_SNAPSHOT_TAG
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.snapshots import iso_time
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.snapshots import newest_usable
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.snapshots import ticket_snapshots
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import copyable
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import tags_of
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import within_limit

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
PLANNED = "(planned)"
CREATE_VOLUME_PERMISSION = "createVolumePermission"
# Too many copies in progress to one Region: the rest wait for a re-run.
COPY_LIMIT_CODE = "ResourceLimitExceeded"


class CopyError(AwsIrError, ValueError):
    """A copy destination that cannot be used; the message names the field and the value."""


def validate_copy_to(copy_to, source_region):
    """The destination {region, account_id, kms_key_id}: region defaults to source_region.

    Raises CopyError naming the field when the Region or account id is malformed,
    when neither is given, or when the key is missing.
    """
    region, account_id, key = copy_to.get("region"), copy_to.get("account_id"), copy_to.get("kms_key_id")
    if not region and not account_id:
        raise CopyError("copy_to needs region, account_id or both (got neither)")
    if region and not _REGION.match(region):
        raise CopyError(f"copy_to.region: {region!r} is not an AWS Region name (for example eu-west-1)")
    if account_id and not _ACCOUNT_ID.match(str(account_id)):
        raise CopyError(f"copy_to.account_id: {account_id!r} is not a 12-digit AWS account id")
    if not key:
        raise CopyError("copy_to.kms_key_id is required: copies are encrypted under a customer managed KMS key")
    return {"region": region or source_region, "account_id": str(account_id) if account_id else None, "kms_key_id": key}


def customer_key_arn(kms, key_id, region, option="copy_to.kms_key_id", account=None):
    """The ARN of key_id when it is an enabled, customer managed, symmetric encryption key (DescribeKey).

    Raises CopyError naming the option and the key otherwise: EBS encrypts only with symmetric
    keys, and a snapshot under an AWS managed key (aws/ebs) cannot be shared.
    """
    field = f"{option} {key_id!r}"
    try:
        key = kms.describe_key(aws_retry=True, KeyId=key_id)["KeyMetadata"]
    except is_boto3_error_code("NotFoundException"):
        raise NotFoundError(f"{field} does not exist in {{where}}", region=region, account=account) from None
    if key.get("KeyManager") != "CUSTOMER":
        raise CopyError(f"{field} is an AWS managed key: a snapshot encrypted with it cannot be shared; give a customer managed key")
    if key.get("KeyState") != "Enabled":
        raise CopyError(f"{field} is {key.get('KeyState')}, not Enabled")
    if key.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT" or key.get("KeyUsage", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        raise CopyError(f"{field} is not a symmetric encryption key, the only kind EBS uses")
    return key["Arn"]


def find_copies(client, ticket, original_ids, key_arn):
    """{original snapshot id: its newest usable copy under key_arn} in the client's Region (DescribeSnapshots by tag)."""
    found = ticket_snapshots(client, ticket, f"tag:{SOURCE_SNAPSHOT_TAG}", original_ids)
    return newest_usable([s for s in found if s.get("KmsKeyId") == key_arn], key=lambda s: tags_of(s)[SOURCE_SNAPSHOT_TAG])


def shared_with(client, snapshot_id):
    """The account ids with createVolumePermission on a snapshot (DescribeSnapshotAttribute), sorted."""
    permissions = client.describe_snapshot_attribute(aws_retry=True, SnapshotId=snapshot_id, Attribute=CREATE_VOLUME_PERMISSION)
    return sorted(p["UserId"] for p in permissions.get("CreateVolumePermissions", []) if "UserId" in p)


def copy_tags(original):
    """The tags of an original's copy, and the keys that did not fit (tags, dropped): SourceSnapshotId, then the original's."""
    return within_limit([{SOURCE_SNAPSHOT_TAG: original["snapshot_id"]}, copyable(original["tags"])])


def describe_copy(snapshot, region, created, shared=None):
    """A copy as recorded in the evidence (dict)."""
    return {
        "snapshot_id": snapshot["SnapshotId"],
        "source_snapshot_id": tags_of(snapshot).get(SOURCE_SNAPSHOT_TAG),
        "region": region,
        "state": snapshot.get("State"),
        "progress": snapshot.get("Progress"),
        "start_time": iso_time(snapshot.get("StartTime")),
        "encrypted": bool(snapshot.get("Encrypted")),
        "kms_key_id": snapshot.get("KmsKeyId"),
        "tags": tags_of(snapshot),
        "shared_with": list(shared or []),
        "created": created,
    }


def copy_snapshot(log, client, original, destination, description, instance_id):
    """CopySnapshot of one original into the destination Region; returns (copy entry, tag keys dropped).

    In check mode the entry is the planned copy. Raises the ClientError of a
    refused copy (COPY_LIMIT_CODE when too many copies are in progress).
    """
    tags, dropped = copy_tags(original)
    parameters = {
        "SourceSnapshotId": original["snapshot_id"],
        "SourceRegion": destination["source_region"],
        "Encrypted": True,
        "KmsKeyId": destination["kms_key_arn"],
        "Description": description,
        "TagSpecifications": boto3_tag_specifications(tags, types=["snapshot"]),
    }
    response = log.call(client, "ec2", "CopySnapshot", original["snapshot_id"], parameters, instance_ids=[instance_id],
                        after_from=lambda r: {"snapshot_id": r["SnapshotId"], "region": destination["region"]})
    answer = {"SnapshotId": response["SnapshotId"], "State": "pending"} if response else {"SnapshotId": PLANNED, "State": "planned"}
    answer.update(Encrypted=True, KmsKeyId=destination["kms_key_arn"], Tags=parameters["TagSpecifications"][0]["Tags"])
    return describe_copy(answer, destination["region"], created=True), dropped


def share(log, client, copy, account_id, instance_id):
    """Give account_id createVolumePermission on a copy that lacks it (ModifySnapshotAttribute)."""
    if account_id in copy["shared_with"]:
        return
    parameters = {"SnapshotId": copy["snapshot_id"], "Attribute": CREATE_VOLUME_PERMISSION, "OperationType": "add", "UserIds": [account_id]}
    log.call(client, "ec2", "ModifySnapshotAttribute", copy["snapshot_id"], parameters, instance_ids=[instance_id],
             before={"shared_with": list(copy["shared_with"])}, after={"shared_with": copy["shared_with"] + [account_id]})
    copy["shared_with"].append(account_id)
