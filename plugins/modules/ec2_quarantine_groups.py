#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_quarantine_groups
version_added: 1.0.0
short_description: Create the quarantine security groups of VPCs before an incident
description:
  - Creates, or corrects, in each VPC of O(vpc_ids) the two security groups that M(secops.aws_ir.ec2_quarantine)
    puts network interfaces in, exactly as its containment would create them during the first incident in that
    VPC; a response in a prepared VPC then creates no group.
  - C(aws-ir-untrack), tagged C(Name=aws-ir-untrack) and C(IncidentResponseRole=untrack), allows all traffic
    inbound and outbound for IPv4 (C(0.0.0.0/0)) and IPv6 (C(::/0)); a rule it lacks is added, with a warning.
  - C(aws-ir-quarantine), tagged C(Name=aws-ir-quarantine) and C(IncidentResponseRole=quarantine), has no
    inbound rule and one egress, tcp/443, to the security groups of the VPC's C(ssm), C(ssmmessages) and
    C(ec2messages) interface endpoints and to the S3 prefix list, when the VPC has those endpoints (available,
    private DNS on) and an available S3 gateway endpoint; else to C(0.0.0.0/0), with a warning that HTTPS to
    the internet stays open from contained instances. Other egress is revoked; tcp/443 destinations that follow
    the other choice are changed, with a warning.
  - The egress is chosen from the VPC's endpoints at the time of the run. Endpoints added later are taken into
    account by the next run of this module, or by the next containment in the VPC, which corrects the group.
  - Every VPC id is checked (form, listed once, known to C(DescribeVpcs) in the account and Region), and an
    existing C(aws-ir-quarantine) that allows anything inbound is refused, before the first change.
  - Idempotent (groups as wanted make no call); check mode makes no change and returns the calls it would make.
  - Two runs at once (this module, or a containment in the same VPC) create each group once; the later run
    uses the group the other created.
author:
  - secops.aws_ir developers (@secops)
options:
  vpc_ids:
    description:
      - The VPCs to prepare, by id, in the module's account and Region. An empty list does nothing.
      - A value that is not a VPC id, an id listed twice or a VPC that does not exist is an error, before any change,
        naming the value and the account and Region looked in.
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - The groups stay in place after every incident and release; they are shared by every response in the VPC.
  - An C(aws-ir-quarantine) the collection did not tag as its own (C(IncidentResponseRole=quarantine)) that allows
    egress other than tcp/443 is refused, not changed.
  - AWS APIs called. Reads, EC2 C(DescribeVpcs), C(DescribeSecurityGroups), C(DescribeVpcEndpoints),
    C(DescribePrefixLists).
  - AWS APIs called. Changes, EC2 C(CreateSecurityGroup) (with tags, so also the IAM action C(ec2:CreateTags)),
    C(AuthorizeSecurityGroupIngress), C(AuthorizeSecurityGroupEgress), C(RevokeSecurityGroupEgress).
seealso:
  - module: secops.aws_ir.ec2_quarantine
"""

EXAMPLES = r"""
- name: Make the quarantine groups of two VPCs before any incident
  secops.aws_ir.ec2_quarantine_groups:
    vpc_ids:
      - vpc-0123456789abcdef0
      - vpc-0fedcba9876543210
  register: quarantine_groups

- name: Say what would be created or corrected, changing nothing
  secops.aws_ir.ec2_quarantine_groups:
    vpc_ids: "{{ quarantine_vpc_ids }}"
  check_mode: true
"""

RETURN = r"""
security_groups:
  description:
    - The groups of each VPC, keyed by VPC id; the same shape as the C(security_groups) that M(secops.aws_ir.ec2_quarantine) returns.
    - In check mode a group not yet created has the stand-in id sg-(new NAME in VPC-ID).
  returned: always
  type: dict
  sample:
    vpc-0123456789abcdef0:
      quarantine_group_ids: [sg-0123456789abcdef0]
      quarantine_group_id: sg-0123456789abcdef0
      untrack_group_id: sg-0456789abcdef0123
      created: [aws-ir-untrack, aws-ir-quarantine]
      egress:
        mode: vpc_endpoints
        destinations: security group sg-0789abcdef0123456, prefix list pl-63a5400a
        reason: interface endpoints for ssm, ssmmessages and ec2messages (private DNS) and an S3 gateway endpoint
  contains:
    quarantine_group_ids:
      description: The quarantine groups of the VPC (C(aws-ir-quarantine)).
      type: list
      elements: str
      sample: [sg-0123456789abcdef0]
    quarantine_group_id:
      description: The first of them.
      type: str
      sample: sg-0123456789abcdef0
    untrack_group_id:
      description: C(aws-ir-untrack) of the VPC.
      type: str
      sample: sg-0456789abcdef0123
    created:
      description: The names of the groups this run created (or would create, in check mode).
      type: list
      elements: str
      sample: [aws-ir-untrack, aws-ir-quarantine]
    egress:
      description: The quarantine group's egress (C(mode) V(vpc_endpoints) or V(https_anywhere), C(destinations) as text, C(reason)).
      type: dict
      sample:
        mode: https_anywhere
        destinations: 0.0.0.0/0
        reason: no available interface endpoint for ssm, ssmmessages, ec2messages; no available S3 gateway endpoint
actions:
  description:
    - Every mutating AWS call made (or planned in check mode), in order.
    - Also returned when the module fails, so that what was changed before the error is known.
  returned: always
  type: list
  elements: dict
  sample:
    - time: '2026-11-29T20:15:02.481Z'
      stage: preparation
      service: ec2
      action: CreateSecurityGroup
      target: vpc-0123456789abcdef0
      instance_ids: []
      parameters:
        GroupName: aws-ir-untrack
        VpcId: vpc-0123456789abcdef0
      before: null
      after:
        group_name: aws-ir-untrack
        group_id: sg-0456789abcdef0123
      outcome: ok
      error_code: null
      request_id: 8c7a3e52-4f0b-4d7e-9b3a-1e2f3a4b5c6d
  contains:
    time:
      description: When the call was made (or planned), UTC, ISO 8601 with milliseconds.
      type: str
      sample: "2026-11-29T20:15:02.481Z"
    stage:
      description: The workflow stage that made the call, V(preparation).
      type: str
      sample: preparation
    service:
      description: The AWS service, as in IAM action names.
      type: str
      sample: ec2
    action:
      description: The AWS API name.
      type: str
      sample: CreateSecurityGroup
    target:
      description: The resource the call changes, a VPC id for C(CreateSecurityGroup), else the group id.
      type: str
      sample: vpc-0123456789abcdef0
    instance_ids:
      description: Always empty, the groups are shared by every instance of the VPC.
      type: list
      elements: str
      sample: []
    parameters:
      description: The parameters sent, each secret replaced by C(<redacted>).
      type: dict
      sample: {GroupName: aws-ir-untrack, VpcId: vpc-0123456789abcdef0}
    before:
      description: What the call changes, as it was before; null when there was nothing.
      type: raw
      sample: null
    after:
      description: What the call changes, as it is after (for a create, what AWS made); null when nothing is left.
      type: raw
      sample: {group_name: aws-ir-untrack, group_id: sg-0456789abcdef0123}
    outcome:
      description: C(ok), C(planned) (check mode) or C(error).
      type: str
      sample: ok
    error_code:
      description: The AWS error code of a refused call (the botocore exception's name when AWS did not answer), else null.
      type: str
      sample: null
    request_id:
      description: The AWS request id of the answer; null in check mode.
      type: str
      sample: 8c7a3e52-4f0b-4d7e-9b3a-1e2f3a4b5c6d
stage:
  description: The stage this module reports, V(preparation).
  returned: always
  type: str
  sample: preparation
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_PREPARATION
from ansible_collections.secops.aws_ir.plugins.module_utils.containment.prepared_groups import prepare
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule


def do(module):
    resolved, warnings = prepare(module.actions, module.client("ec2"), module.region, module.params["vpc_ids"])
    for warning in warnings:
        module.warn(warning)
    module.exit_json(changed=module.actions.changed, security_groups=resolved)


def main():
    module = AwsIrModule(stage=STAGE_PREPARATION, argument_spec=dict(vpc_ids=dict(type="list", elements="str", required=True)),
                         supports_check_mode=True)
    module.run(do, "preparing the quarantine groups stopped; the actions list says what was changed before the error")


if __name__ == "__main__":
    main()
