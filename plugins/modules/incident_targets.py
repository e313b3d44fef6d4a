#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: incident_targets
version_added: 1.1.0
short_description: Group the instances of a response by account and Region, and check each can be reached
description:
  - Read-only; part of the preflight of a response that holds instances in several accounts and Regions
    (docs/accounts-and-regions.md). Takes instance ids (in the run's own account and O(region)) and instance
    ARNs (C(arn:aws:ec2:REGION:ACCOUNT:instance/ID), as Security Hub's ASFF names them), groups them into
    targets, one per account and Region, and, for every target other than the run's own, before any change
    anywhere, checks that
  - the Region is one this controller knows an endpoint for;
  - the member role of the account (O(member_role)) can be assumed (STS C(AssumeRole), once per account) and
    gives credentials of that account (STS C(GetCallerIdentity)); the run's own account in another Region uses
    the run's own credentials;
  - every instance exists there, is not terminated or shutting down, and carries no other ticket's
    C(IncidentTicket) tag (EC2 C(DescribeInstances));
  - with O(volatile_capture), the evidence bucket of the account and Region, C(aws-ir-evidence-<account id>-<region>)
    (the one C(prepare.yml) creates there), exists in that Region, belongs to that account and has versioning on;
    SSM Run Command writes its output only to a bucket in the instance's Region.
  - The first target that fails a check stops the module, with a message naming the account and the role, or
    the Region, and nothing is changed. The ticket names the role sessions (V(aws-ir-<ticket>)) and is checked against the
    instances' C(IncidentTicket) tags. The instances of the run's own account and Region are returned apart
    (RV(home)); M(secops.aws_ir.incident_preflight) checks those as in a single-account response.
  - "AWS APIs called, all read-only: STS C(GetCallerIdentity), C(AssumeRole); EC2 C(DescribeInstances); with O(volatile_capture),
    S3 C(GetBucketLocation), C(GetBucketVersioning), C(GetObjectLockConfiguration), C(GetBucketEncryption), each naming the
    account as C(ExpectedBucketOwner)."
author:
  - secops.aws_ir developers (@secops)
options:
  instances:
    description:
      - The instances of the response, each an instance id (in the run's own account and O(region)) or an
        instance ARN.
    type: list
    elements: str
    required: true
  member_role:
    description:
      - The role assumed in each other account, as a template in which V({account_id}) stands for the account,
        for example V(arn:aws:iam::{account_id}:role/aws-ir-member-responder) (the role C(prepare.yml) creates
        with C(prepare_member_role); its policy is C(docs/iam/member-account-role-policy.json)).
    type: str
    required: true
  volatile_capture:
    description: Whether the response captures volatile data; then each target's evidence bucket is checked (see above).
    type: bool
    default: false
extends_documentation_fragment:
  - secops.aws_ir.ticket
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Nothing returned holds credentials; each stage module assumes RV(targets[].role_arn) itself (its O(secops.aws_ir.ec2_quarantine#module:role_arn)).
"""

EXAMPLES = r"""
- name: Check every account and Region of a response before any change
  secops.aws_ir.incident_targets:
    instances:
      - i-0123456789abcdef0
      - arn:aws:ec2:eu-west-1:111122223333:instance/i-0fedcba9876543210
    member_role: "arn:aws:iam::{account_id}:role/aws-ir-member-responder"
    ticket: INC-123456
  register: targets_result
"""

RETURN = r"""
home:
  description: The run's own account and Region, and the instances named there (checked by the preflight, not here).
  returned: success
  type: dict
  sample: {account_id: '123456789012', region: us-east-1, instance_ids: [i-0123456789abcdef0]}
targets:
  description: One entry per other account and Region, in the order first named.
  returned: success
  type: list
  elements: dict
  sample:
    - account_id: '111122223333'
      region: eu-west-1
      role_arn: arn:aws:iam::111122223333:role/aws-ir-member-responder
      instance_ids: [i-0fedcba9876543210]
      bucket: aws-ir-evidence-111122223333-eu-west-1
  contains:
    account_id:
      description: The account.
      type: str
      sample: '111122223333'
    region:
      description: The Region.
      type: str
      sample: eu-west-1
    role_arn:
      description:
        - The member role assumed there; empty for the run's own account in another Region.
        - The stage modules take it as their C(role_arn) and assume it themselves, so that no result holds credentials.
      type: str
      sample: arn:aws:iam::111122223333:role/aws-ir-member-responder
    instance_ids:
      description: The instances of the target.
      type: list
      elements: str
      sample: [i-0fedcba9876543210]
    bucket:
      description: The evidence bucket of the target's account and Region, where its volatile data goes; checked with O(volatile_capture).
      type: str
      sample: aws-ir-evidence-111122223333-eu-west-1
"""

from ansible_collections.secops.aws_ir.plugins.module_utils import targets as tg
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_PREFLIGHT
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import BucketError
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import default_bucket_name
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.owner import inspect_owned_bucket
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import TargetError
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import validate_instance_ids
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.preflight.targets import resolve_targets
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import DEFAULT_TICKET_PATTERN
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket

try:
    from botocore.exceptions import BotoCoreError
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK.


def checked_member_role(module, role_arn, ticket):
    """The client options of a member role (targets.assume_member_role), its refusal saying nothing was changed."""
    try:
        return tg.assume_member_role(module.client, role_arn, ticket, field="member_role")
    except TargetError as e:
        raise TargetError(f"{e}; nothing was changed") from None


def check_target(module, target, options, ticket):
    """Raise when target's Region cannot be reached or one of its instances cannot be responded to there."""
    ec2 = module.client("ec2", region=target["region"], **options)
    try:
        resolve_targets(ec2, target["instance_ids"], ticket, field="instances")
    except NotFoundError as e:
        raise TargetError(e.located(target["account_id"], target["region"])) from None
    except BotoCoreError as e:
        raise TargetError(f"Region {target['region']} of account {target['account_id']} cannot be reached: {e}") from None


def check_bucket(module, target, options):
    """Raise TargetError unless the target's evidence bucket is in its Region, owned by its account, versioned; return its warnings."""
    where = f"account {target['account_id']}, Region {target['region']}"
    try:
        _bucket, warnings = inspect_owned_bucket(module, target["bucket"], target["region"], target["account_id"],
                                                 client_options=dict(options, region=target["region"]))
    except NotFoundError as e:
        raise TargetError(f"volatile capture: {e.located(target['account_id'], target['region'])}; SSM Run Command writes only to a bucket "
                          "in the instance's Region: create it there (prepare.yml) or set capture_volatile=false") from None
    except BucketError as e:
        raise TargetError(f"volatile capture in {where}: {e}") from None
    return [f"{where}: {warning}" for warning in warnings]


def is_home(target, home):
    return (target["account_id"], target["region"]) == (home["account_id"], home["region"])


def check_targets(module, others, options, ticket):
    """Check every other target's instances (and, with volatile_capture, its evidence bucket) with its account's options."""
    for target in others:
        target["bucket"] = default_bucket_name(target["account_id"], target["region"])
        check_target(module, target, options.get(target["account_id"], {}), ticket)
        if module.params["volatile_capture"]:
            for warning in check_bucket(module, target, options.get(target["account_id"], {})):
                module.warn(warning)


def do(module):
    params = module.params
    ticket = validate_ticket(params["ticket"], params["ticket_pattern"])
    if not module.region:
        raise AwsIrError("region is required (set it, or AWS_REGION)")
    home = {"account_id": module.caller_identity()["Account"], "region": module.region}
    instances = [tg.parse_instance(value.strip(), home) for value in params["instances"]]
    validate_instance_ids([i["instance_id"] for i in instances], field="instances")
    grouped = tg.group(instances)
    others = [t for t in grouped if not is_home(t, home)]
    known = tg.known_regions(module.session(params.get("profile")))
    for target in others:
        tg.refuse_unknown_region(known, target)
    roles = {a: tg.member_role_arn(params["member_role"], a) for a in dict.fromkeys(t["account_id"] for t in others if t["account_id"] != home["account_id"])}
    options = {account: checked_member_role(module, role_arn, ticket) for account, role_arn in roles.items()}
    check_targets(module, others, options, ticket)
    home_ids = next((t["instance_ids"] for t in grouped if is_home(t, home)), [])
    module.exit_json(
        changed=False,
        home=dict(home, instance_ids=home_ids),
        targets=[dict(t, role_arn=roles.get(t["account_id"], "")) for t in others],
    )


def main():
    argument_spec = dict(
        instances=dict(type="list", elements="str", required=True),
        member_role=dict(type="str", required=True),
        ticket=dict(type="str", required=True),
        ticket_pattern=dict(type="str", default=DEFAULT_TICKET_PATTERN),
        volatile_capture=dict(type="bool", default=False),
    )
    module = AwsIrModule(stage=STAGE_PREFLIGHT, argument_spec=argument_spec, supports_check_mode=True)
    module.run(do, "the accounts and Regions of the response could not be checked")


if __name__ == "__main__":
    main()
