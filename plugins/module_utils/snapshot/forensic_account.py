# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The forensic account's own copies: made by a role of that account, from the shared copy, under its key.

A copy that stays in the compromised account, even shared, can be deleted (or unshared) by an
administrator of that account. So, with copy_to.role_arn, the collection assumes that role of the
forensic account (STS AssumeRole, through botocore) and copies each shared copy there
(CopySnapshot by the forensic account) under the forensic account's key. The forensic copy
carries the same tags as the shared copy, SourceSnapshotId naming the original, by which a re-run
finds it in the forensic account; the manifest names the shared copy it was made from.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import utc_now
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot import snapshot_copies as copies
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.snapshot_locks import validate_lock
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.snapshots import iso_time

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::([0-9]{12}):role/[\w+=,.@/-]+$")
# AssumeRole's RoleSessionName: 2..64 characters of [\w+=,.@-].
_SESSION_NAME = re.compile(r"[^\w+=,.@-]")
CLIENT_ERRORS = ("AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "ExpiredToken", "RegionDisabledException")


def forensic_options(copy_to):
    """The forensic account's options of copy_to, checked: {role_arn, forensic_kms_key_id, remove_intermediate, lock, lock_originals}.

    lock is the LockSnapshot parameters (or None). Raises CopyError or LockError naming the field and the value.
    """
    validate_forensic(copy_to)
    if copy_to.get("lock_originals") and not copy_to.get("lock"):
        raise copies.CopyError("copy_to.lock_originals needs copy_to.lock (the mode and duration to lock them with)")
    return {
        "role_arn": copy_to.get("role_arn"),
        "forensic_kms_key_id": copy_to.get("forensic_kms_key_id"),
        "remove_intermediate": bool(copy_to.get("remove_intermediate")),
        "lock": validate_lock(copy_to["lock"], "copy_to.lock") if copy_to.get("lock") else None,
        "lock_originals": bool(copy_to.get("lock_originals")),
    }


def validate_forensic(copy_to):
    """Check the forensic account's options of copy_to; raises CopyError naming the field and the value."""
    role_arn = copy_to.get("role_arn")
    if not role_arn:
        for name in ("forensic_kms_key_id", "lock"):
            if copy_to.get(name):
                raise copies.CopyError(f"copy_to.{name} needs copy_to.role_arn (a role of the forensic account that makes its copies)")
        if copy_to.get("remove_intermediate"):
            raise copies.CopyError("copy_to.remove_intermediate needs copy_to.role_arn: without a forensic copy the shared copy is the only one")
        return
    validate_role(role_arn, copy_to.get("account_id"))
    if not copy_to.get("forensic_kms_key_id"):
        raise copies.CopyError("copy_to.forensic_kms_key_id is required with copy_to.role_arn: the forensic account's copies are "
                               "encrypted under its own customer managed key")


def validate_role(role_arn, account_id):
    """Raise CopyError unless role_arn is an IAM role ARN of account_id."""
    match = ROLE_ARN.match(role_arn)
    if not match:
        raise copies.CopyError(f"copy_to.role_arn: {role_arn!r} is not an IAM role ARN (arn:aws:iam::<account id>:role/<name>)")
    if match.group(1) != str(account_id):
        raise copies.CopyError(f"copy_to.role_arn {role_arn!r} is a role of account {match.group(1)}, not of copy_to.account_id {account_id!r}")


def session_name(ticket):
    return ("aws-ir-" + _SESSION_NAME.sub("-", ticket))[:64]


def assume_role(sts, role_arn, ticket):
    """Temporary credentials of the forensic account's role (AssumeRole), checked to act in account_id (GetCallerIdentity).

    Returns {aws_access_key_id, aws_secret_access_key, aws_session_token} for client(). Raises
    CopyError naming the role when AWS refuses to let the caller assume it.
    """
    try:
        credentials = sts.assume_role(aws_retry=True, RoleArn=role_arn, RoleSessionName=session_name(ticket))["Credentials"]
    except is_boto3_error_code(list(CLIENT_ERRORS)) as e:
        raise copies.CopyError(f"copy_to.role_arn {role_arn!r} cannot be assumed: {e.response['Error']['Code']} "
                               f"({e.response['Error'].get('Message', '')})") from None
    return {"aws_access_key_id": credentials["AccessKeyId"], "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"]}


def check_account(sts, account_id, role_arn):
    """Raise CopyError unless the assumed role's credentials act in account_id."""
    actual = sts.get_caller_identity(aws_retry=True)["Account"]
    if actual != account_id:
        raise copies.CopyError(f"copy_to.role_arn {role_arn!r} gives credentials of account {actual}, not {account_id}")


def snapshot_arn(region, account_id, snapshot_id):
    """The ARN of a snapshot: the target of a call made in the forensic account, which names that account."""
    return f"arn:aws:ec2:{region}:{account_id}:snapshot/{snapshot_id}"


def copy_to_forensic(log, client, shared, destination, description, instance_id):
    """CopySnapshot, by the forensic account, of a shared copy into its own snapshot under the forensic key.

    shared: the shared copy's entry (snapshot_id, tags). Returns the forensic copy's entry (the
    planned one in check mode). Raises the ClientError of a refused copy after recording it.
    """
    tags = dict(shared["tags"])
    parameters = {
        "SourceSnapshotId": shared["snapshot_id"],
        "SourceRegion": destination["region"],
        "Encrypted": True,
        "KmsKeyId": destination["forensic_kms_key_arn"],
        "Description": description,
        "TagSpecifications": [{"ResourceType": "snapshot", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}],
    }
    target = snapshot_arn(destination["region"], destination["account_id"], shared["snapshot_id"])
    response = log.call(client, "ec2", "CopySnapshot", target, parameters, instance_ids=[instance_id],
                        after_from=lambda r: {"snapshot_id": r["SnapshotId"], "account_id": destination["account_id"]})
    answer = {"SnapshotId": response["SnapshotId"], "State": "pending"} if response else {"SnapshotId": copies.PLANNED, "State": "planned"}
    answer.update(Encrypted=True, KmsKeyId=destination["forensic_kms_key_arn"], Tags=parameters["TagSpecifications"][0]["Tags"],
                  OwnerId=destination["account_id"], StartTime=utc_now() if response else None)
    return describe_forensic(answer, destination, shared["snapshot_id"], created=True)


def describe_forensic(snapshot, destination, copied_from, created):
    """A forensic copy as recorded in the evidence: a copy entry with its owner, the copy it was made from, and its end time.

    copied_from is None when a re-run finds the copy and the shared copy is gone (the manifest kept it).
    """
    entry = copies.describe_copy(snapshot, destination["region"], created=created)
    entry.update(owner_id=snapshot.get("OwnerId") or destination["account_id"], copied_from=copied_from)
    completed(entry, snapshot)
    return entry


def completed(entry, snapshot):
    """Record when a copy completed: AWS's CompletionTime where it gives one, else when this run saw it completed."""
    if snapshot.get("State") == "completed" and not entry.get("end_time"):
        entry["end_time"] = iso_time(snapshot.get("CompletionTime")) or utc_now()
    entry.setdefault("end_time", None)
