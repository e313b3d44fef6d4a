# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Targets of a response in several accounts and Regions: which (account, Region) holds which instance.

An instance is named by its id (then it is in the run's own account and Region) or by its ARN,
arn:aws:ec2:REGION:ACCOUNT:instance/ID, the form Security Hub's ASFF uses. Every instance outside
the run's own (account, Region) is reached through a member role of its account, given as a template
("arn:aws:iam::{account_id}:role/aws-ir-member-responder"), assumed once per account with STS
AssumeRole. Everything here is read-only and runs before the first change (docs/accounts-and-regions.md).
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.forensic_account import ROLE_ARN
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.forensic_account import session_name
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import INSTANCE_ARN
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import TargetError
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import throttled_code

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK.

_ACCOUNT_FIELD = "{account_id}"


def parse_instance(value, home):
    """{"instance_id", "account_id", "region"} of an instance id (in home: {"account_id", "region"}) or an instance ARN."""
    match = INSTANCE_ARN.match(value)
    if match:
        return {"instance_id": match["id"], "account_id": match["account"], "region": match["region"]}
    if value.startswith("arn:"):
        raise TargetError(f"instances: {value!r} is not an EC2 instance ARN (arn:aws:ec2:<region>:<account id>:instance/<instance id>)")
    return {"instance_id": value, "account_id": home["account_id"], "region": home["region"]}


def group(instances):
    """[{"account_id", "region", "instance_ids"}]: the instances by (account, Region), in the order first named."""
    targets = {}
    for instance in instances:
        key = (instance["account_id"], instance["region"])
        targets.setdefault(key, {"account_id": key[0], "region": key[1], "instance_ids": []})["instance_ids"].append(instance["instance_id"])
    return list(targets.values())


def member_role_arn(template, account_id):
    """The member role of account_id from template; TargetError naming member_role when it is not a role ARN of that account."""
    if _ACCOUNT_FIELD not in template:
        raise TargetError(f"member_role {template!r} has no {_ACCOUNT_FIELD} where the account goes "
                          "(for example arn:aws:iam::{account_id}:role/aws-ir-member-responder)")
    role_arn = template.replace(_ACCOUNT_FIELD, account_id)
    match = ROLE_ARN.match(role_arn)
    if not match or match.group(1) != account_id:
        raise TargetError(f"member_role {template!r} gives {role_arn!r} for account {account_id}, which is not an IAM role ARN of that account")
    return role_arn


def known_regions(session):
    """Every Region botocore knows an EC2 endpoint for, in any partition (session: a boto3 session)."""
    return {region for partition in session.get_available_partitions()
            for region in session.get_available_regions("ec2", partition_name=partition)}


def refuse_unknown_region(known_regions, target):
    """TargetError naming the Region (and the instances in it) when botocore knows no endpoint for it."""
    if target["region"] not in known_regions:
        raise TargetError(f"Region {target['region']} cannot be reached: it is not an AWS Region this controller knows "
                          f"(instances {', '.join(target['instance_ids'])} of account {target['account_id']})")


def assume_member_role(client, role_arn, ticket, field="role_arn"):
    """Client options with the temporary credentials of role_arn (STS AssumeRole, session aws-ir-<ticket>), checked to act
    in the role's account (STS GetCallerIdentity). client: the module's client(service, **options).

    TargetError naming field, the role and its account when the role is malformed, refused, or acts elsewhere;
    throttling is raised as it is.
    """
    match = ROLE_ARN.match(role_arn)
    if not match:
        raise TargetError(f"{field}: {role_arn!r} is not an IAM role ARN (arn:aws:iam::<account id>:role/<name>)")
    account = match.group(1)
    try:
        credentials = client("sts").assume_role(aws_retry=True, RoleArn=role_arn, RoleSessionName=session_name(ticket))["Credentials"]
        options = {"aws_access_key_id": credentials["AccessKeyId"], "aws_secret_access_key": credentials["SecretAccessKey"],
                   "aws_session_token": credentials["SessionToken"]}
        acting_in = client("sts", **options).get_caller_identity(aws_retry=True)["Account"]
    except ClientError as e:
        if throttled_code(e):
            raise
        error = e.response.get("Error", {})
        raise TargetError(f"{field}: {role_arn} of account {account} cannot be assumed: {error.get('Code')} ({error.get('Message', '')})") from None
    if acting_in != account:
        raise TargetError(f"{field}: {role_arn} gives credentials of account {acting_in}, not of account {account}")
    return options
