# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Opt-in containment of the credentials of the instance's IAM role, and its reversal.

A compromised instance's role credentials may already be in the attacker's hands.
Two ways to contain them (credentials: instance_profile or deny_policy):

- instance_profile: the instance's profile association is replaced by a forensic
  instance profile the responder gives (ReplaceIamInstanceProfileAssociation, or
  AssociateIamInstanceProfile when it had none). Credentials the instance gets
  from then on are the forensic role's. Credentials issued before, and any copy
  taken, stay valid until they expire (hours); the role itself is untouched.
- deny_policy: an inline policy aws-ir-deny-<instance id> on the instance's role
  denies every request signed with credentials issued to this instance
  (condition ec2:SourceInstanceARN), wherever the request comes from, at once,
  except what the SSM Agent needs for Run Command and Session Manager and the
  upload of command output to the evidence bucket under the ticket's prefix. The
  role's other instances are not affected. The role, a shared resource, is
  changed; the agent's other features (associations, inventory, patching,
  Parameter Store) are denied; the exceptions stay usable by whoever holds the
  credentials.

The state before (the profile associated) is always recorded so that a release
puts it back; a release also removes the deny policy wherever it finds it.
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

MODE_NONE = "none"
MODE_INSTANCE_PROFILE = "instance_profile"
MODE_DENY_POLICY = "deny_policy"
MODES = (MODE_NONE, MODE_INSTANCE_PROFILE, MODE_DENY_POLICY)
# What the SSM Agent calls for Run Command and Session Manager (Systems Manager User Guide,
# "Reference: ec2messages, ssmmessages, and other API operations").
AGENT_ACTIONS = (
    "ssm:UpdateInstanceInformation", "ssm:ListInstanceAssociations", "ssm:DescribeAssociation", "ssm:GetDocument",
    "ssm:DescribeDocument", "ssm:UpdateInstanceAssociationStatus",
    "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage", "ec2messages:GetEndpoint",
    "ec2messages:GetMessages", "ec2messages:SendReply",
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
)
# What the agent calls to write command output to S3 (an SSE-KMS bucket also needs a data key, through S3 only).
EVIDENCE_ACTIONS = ("s3:PutObject", "s3:PutObjectAcl", "s3:GetEncryptionConfiguration")
KMS_THROUGH_S3 = "kms:GenerateDataKey"
_ACTIVE_ASSOCIATIONS = ("associating", "associated")


class CredentialsError(AwsIrError, ValueError):
    """Credentials that cannot be contained or restored as asked; the message names the field and the value."""


def deny_policy_name(instance_id):
    return f"aws-ir-deny-{instance_id}"


def read_associations(client, instance_ids):
    """{instance_id: {"association_id", "arn"}} of the instances that have an instance profile (DescribeIamInstanceProfileAssociations)."""
    found = {}
    if not instance_ids:
        return found
    filters = [{"Name": "instance-id", "Values": list(instance_ids)}]
    for association in paginate(client, "describe_iam_instance_profile_associations", Filters=filters)["IamInstanceProfileAssociations"]:
        if association.get("State") in _ACTIVE_ASSOCIATIONS:
            found[association["InstanceId"]] = {"association_id": association["AssociationId"], "arn": association["IamInstanceProfile"]["Arn"]}
    return found


def _profile_name(name_or_arn):
    """The profile name of an instance profile name or ARN (arn:PARTITION:iam::ACCOUNT:instance-profile/PATH/NAME)."""
    return name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn


def read_profile(client, name_or_arn, field):
    """{"arn", "role_names"} of an instance profile (IAM GetInstanceProfile); CredentialsError naming field when it does not exist."""
    try:
        profile = client.get_instance_profile(aws_retry=True, InstanceProfileName=_profile_name(name_or_arn))["InstanceProfile"]
    except is_boto3_error_code("NoSuchEntity"):
        raise NotFoundError(f"{field}: instance profile {name_or_arn!r} not found in {{where}} (IAM is global)", global_service=True) from None
    return {"arn": profile["Arn"], "role_names": [role["RoleName"] for role in profile.get("Roles", [])]}


def read_profiles(client, references, field):
    """{key: {"arn", "role_names"} or None} for {key: profile name or ARN, or None}: one GetInstanceProfile per profile.

    A fleet shares its profile, so each distinct one is read once; field(key) names the field in the
    CredentialsError for the first key whose profile does not exist.
    """
    read = {}
    for key, reference in references.items():
        if reference and reference not in read:
            read[reference] = read_profile(client, reference, field(key))
    return {key: read[reference] if reference else None for key, reference in references.items()}


def refuse_unused_profile(mode, forensic_instance_profile):
    """CredentialsError for a forensic profile that mode would not associate: whoever gave it expects it used."""
    if forensic_instance_profile and mode != MODE_INSTANCE_PROFILE:
        raise CredentialsError(f"forensic_instance_profile {forensic_instance_profile!r} is only used with credentials={MODE_INSTANCE_PROFILE} "
                               f"(credentials is {mode})")


def forensic_profile(client, name_or_arn, field="forensic_instance_profile"):
    """The forensic profile, validated before any change: it must exist and hold a role (the SSM Agent needs credentials)."""
    if not name_or_arn:
        raise CredentialsError(f"{field} is required when credentials is {MODE_INSTANCE_PROFILE}")
    profile = read_profile(client, name_or_arn, field)
    if not profile["role_names"]:
        raise CredentialsError(f"{field}: instance profile {name_or_arn!r} has no role; the SSM Agent would lose its credentials")
    return profile


def instance_arn(profile_arn, region, instance_id):
    """The instance's ARN, in the partition and account of its instance profile's ARN."""
    _arn, partition, _service, _region, account = profile_arn.split(":")[:5]
    return f"arn:{partition}:ec2:{region}:{account}:instance/{instance_id}"


def deny_policy_document(arn, bucket, ticket, region):
    """The deny policy for the instance whose ARN is arn (see the module docstring)."""
    partition = arn.split(":")[1]
    signed_by_instance = {"StringEquals": {"ec2:SourceInstanceARN": arn}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DenyAllButSsmAgentAndEvidenceUpload", "Effect": "Deny",
             "NotAction": sorted(AGENT_ACTIONS + EVIDENCE_ACTIONS + (KMS_THROUGH_S3,)), "Resource": "*", "Condition": signed_by_instance},
            {"Sid": "EvidenceUploadOnlyToTheTicketPrefix", "Effect": "Deny", "Action": list(EVIDENCE_ACTIONS),
             "NotResource": [f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/{ticket}/*"], "Condition": signed_by_instance},
            {"Sid": "DataKeysOnlyThroughS3", "Effect": "Deny", "Action": KMS_THROUGH_S3, "Resource": "*",
             "Condition": dict(signed_by_instance, StringNotEquals={"kms:ViaService": f"s3.{region}.amazonaws.com"})},
        ],
    }


def read_role_policy(client, role_name, policy_name):
    """The inline policy document (dict), or None when the role has no such policy (IAM GetRolePolicy)."""
    try:
        document = client.get_role_policy(aws_retry=True, RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    return json.loads(document) if isinstance(document, str) else document


def set_profile(log, client, instance_id, association, profile_arn):
    """Associate profile_arn (None: no profile) with the instance, replacing or removing its current association."""
    current = association["arn"] if association else None
    if current == profile_arn:
        return
    before, after = {"instance_profile": current}, {"instance_profile": profile_arn}
    if profile_arn is None:
        log.call(client, "ec2", "DisassociateIamInstanceProfile", instance_id, {"AssociationId": association["association_id"]},
                 instance_ids=[instance_id], before=before, after=after)
    elif association is None:
        log.call(client, "ec2", "AssociateIamInstanceProfile", instance_id, {"InstanceId": instance_id, "IamInstanceProfile": {"Arn": profile_arn}},
                 instance_ids=[instance_id], before=before, after=after)
    else:
        log.call(client, "ec2", "ReplaceIamInstanceProfileAssociation", instance_id,
                 {"AssociationId": association["association_id"], "IamInstanceProfile": {"Arn": profile_arn}},
                 instance_ids=[instance_id], before=before, after=after)


def put_deny_policy(log, client, instance_id, role_name, document):
    """PutRolePolicy of the instance's deny policy unless the role already has exactly it; returns whether the role was (or would be) changed."""
    name = deny_policy_name(instance_id)
    current = read_role_policy(client, role_name, name)
    if current == document:
        return False
    log.call(client, "iam", "PutRolePolicy", role_name, {"RoleName": role_name, "PolicyName": name, "PolicyDocument": json.dumps(document)},
             instance_ids=[instance_id], before={"policy": current and name}, after={"policy": name},
             recorded={"RoleName": role_name, "PolicyName": name, "PolicyDocument": document})
    return True


def delete_deny_policy(log, client, instance_id, role_name):
    """DeleteRolePolicy of the instance's deny policy where the role has it; returns whether one was (or would be) removed."""
    name = deny_policy_name(instance_id)
    if read_role_policy(client, role_name, name) is None:
        return False
    log.call(client, "iam", "DeleteRolePolicy", role_name, {"RoleName": role_name, "PolicyName": name},
             instance_ids=[instance_id], before={"policy": name}, after={"policy": None})
    return True
