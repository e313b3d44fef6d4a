# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Whether the shared copy's key (copy_to.kms_key_id) lets the forensic account copy the shared copy, read before any change.

The forensic account's CopySnapshot of the shared copy needs that key's kms:DescribeKey,
kms:CreateGrant and kms:Decrypt (EBS decrypts the source through a grant); a key of another
account is usable only when its key policy allows it. The key policy is what can be read
(GetKeyPolicy, by the compromised account that owns the key): we look for Allow statements naming
the forensic account (its root, its id, the forensic role, or "*") for those actions, and for a
Deny of them without conditions. What cannot be known read-only (docs/forensic-copies.md): the
statements' conditions (taken as met), the forensic role's own IAM policy, grants, and
organization policies; AWS still refuses at CopySnapshot, and the refusal is recorded.
IAM policy evaluation is ours because neither botocore nor amazon.aws evaluates policies.
"""

import fnmatch
import json

from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.snapshot_copies import CopyError

NEEDED = ("kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey")


def check_shared_key(kms, key_arn, key_id, forensic_account, role_arn):
    """Raise CopyError naming copy_to.kms_key_id, its account and Region unless its key policy allows the forensic account NEEDED."""
    statements = _statements(kms.get_key_policy(aws_retry=True, KeyId=key_arn, PolicyName="default")["Policy"])
    principals = {"*", forensic_account, f"arn:aws:iam::{forensic_account}:root", role_arn}
    applying = [s for s in statements if _names(s, principals)]
    denied = [a for a in NEEDED if any(s.get("Effect") == "Deny" and not s.get("Condition") and _covers(s, a) for s in applying)]
    missing = [a for a in NEEDED if not any(s.get("Effect") == "Allow" and _covers(s, a) for s in applying)]
    if denied or missing:
        region, account = key_arn.split(":")[3:5]
        raise CopyError(f"copy_to.kms_key_id {key_id!r} (account {account}, {region}): its key policy does not allow account "
                        f"{forensic_account} {', '.join(sorted(set(denied + missing)))}, which the forensic account needs to "
                        "copy the shared copy")


def _statements(document):
    statements = json.loads(document).get("Statement", [])
    return [statements] if isinstance(statements, dict) else statements


def _listed(value):
    return [value] if isinstance(value, str) else list(value or [])


def _names(statement, principals):
    """Whether the statement's Principal names one of principals (NotPrincipal is not followed: it never counts as naming)."""
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, dict) and bool(principals.intersection(_listed(principal.get("AWS"))))


def _covers(statement, action):
    """Whether the statement's Action (wildcards as IAM reads them, case-insensitive) includes action."""
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in _listed(statement.get("Action")))
