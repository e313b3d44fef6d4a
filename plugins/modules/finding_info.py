#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: finding_info
version_added: 1.1.0
short_description: Read a GuardDuty or Security Hub finding and decide whether, and where, to respond
description:
  - The detection stage of the response. Takes a finding as it arrives (O(finding)) or reads it by its
    id from the service that made it (O(finding_id), O(finding_source)), and returns the EC2 instances it
    names, the account and Region of each, its severity, types and title, and the ticket of the case.
  - "O(finding) may be an EventBridge event from GuardDuty (C(detail-type: GuardDuty Finding)), an
    EventBridge event from Security Hub (C(Security Hub Findings - Imported) or C(Security Hub Findings -
    Custom Action), several findings in C(detail.findings)), a bare GuardDuty finding (as GuardDuty's
    C(GetFindings) returns it), a bare finding in the AWS Security Finding Format (ASFF), or a list of any
    of these."
  - Instances are read from GuardDuty's C(resource.instanceDetails.instanceId) when C(resource.resourceType)
    is C(Instance), and from the ASFF C(Resources) of type C(AwsEc2Instance), whose C(Id) is an instance
    ARN. The account of a GuardDuty finding is its C(accountId); in an event aggregated by a GuardDuty
    administrator, the event's own C(account) is the administrator's.
  - A finding is refused, with its id and the reason, when its severity is below O(min_severity), none of
    its types matches O(finding_types), it names no EC2 instance, or one of its instances is in another
    account than the caller's (STS C(GetCallerIdentity)) or another Region than O(region), unless
    O(member_role) is given. Refused findings
    are returned in RV(refused) and warned about; when every finding is refused, the module fails naming
    each finding and its reason. It never changes anything.
  - "AWS APIs called, all read-only; STS C(GetCallerIdentity); with O(finding_id): GuardDuty
    C(ListDetectors) and C(GetFindings), or Security Hub C(GetFindings)."
author:
  - secops.aws_ir developers (@secops)
options:
  finding:
    description:
      - The finding, in any of the shapes above, as a dictionary or a list (C(-e finding=@event.json)),
        or as JSON text.
      - Mutually exclusive with O(finding_id).
    type: raw
  finding_id:
    description:
      - The id of a finding to read from O(finding_source) in O(region) (GuardDuty's C(id), or Security
        Hub's C(Id), usually an ARN).
    type: str
  finding_source:
    description: The service that holds O(finding_id).
    type: str
    choices: [guardduty, securityhub]
  min_severity:
    description:
      - The lowest severity acted on, as an ASFF severity label. A GuardDuty finding's numeric severity
        is labelled as GuardDuty documents (1.0-3.9 C(LOW), 4.0-6.9 C(MEDIUM), 7.0-8.9 C(HIGH), 9.0-10.0
        C(CRITICAL)); an ASFF finding's C(Severity.Label) is used as it is.
    type: str
    choices: [INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL]
    default: MEDIUM
  finding_types:
    description:
      - Allow-list of finding types acted on, as shell-style patterns (C(fnmatch), case-sensitive) matched
        against GuardDuty's C(type) (V(Backdoor:EC2/*)) or any of an ASFF finding's C(Types)
        (V(TTPs/Command and Control/*)). Empty means every type.
    type: list
    elements: str
    default: []
  ticket:
    description:
      - The incident ticket. When omitted, it is derived from the findings acted on, as V(GD-) (the first
        finding is GuardDuty's) or V(SH-) (Security Hub's) followed by ten digits, the first 32 bits of the
        SHA-256 of their ids (sorted, one per line) in decimal, for example V(GD-2739105317); the same
        findings always give the same ticket, so a second run merges into the same case.
    type: str
  ticket_pattern:
    description: Python regular expression the whole ticket, given or derived, must match.
    type: str
    default: '^[A-Za-z][A-Za-z0-9]*-[0-9]+$'
  member_role:
    description:
      - The role the response assumes in each account it acts in, as a template in which V({account_id}) stands
        for the account, for example V(arn:aws:iam::{account_id}:role/aws-ir-member-responder).
      - Given, an instance in another account or Region is acted on (M(secops.aws_ir.incident_targets) then checks,
        before any change, that the role can be assumed and the Region reached); not given, such a finding is refused.
      - This module only reads the finding; it assumes no role.
    type: str
    version_added: 1.1.0
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read a GuardDuty finding event saved from EventBridge
  secops.aws_ir.finding_info:
    finding: "{{ lookup('ansible.builtin.file', 'guardduty-event.json') | from_json }}"
    min_severity: HIGH
  register: detection

- name: Read a Security Hub finding by its id, acting only on command-and-control findings
  secops.aws_ir.finding_info:
    finding_id: arn:aws:guardduty:us-east-1:123456789012:detector/12c6b1fd/finding/6ac6b1fd
    finding_source: securityhub
    finding_types:
      - "TTPs/Command and Control/*"
  register: detection

- name: Respond to the instances it names
  ansible.builtin.debug:
    msg: "{{ detection.ticket }}: {{ detection.instance_ids }}"
"""

RETURN = r"""
ticket:
  description: The ticket of the case, as given or derived.
  returned: success
  type: str
  sample: GD-2739105317
ticket_derived:
  description: Whether RV(ticket) was derived from the findings.
  returned: success
  type: bool
  sample: true
instance_ids:
  description: Every instance named by the findings acted on, each once, in the order first named.
  returned: success
  type: list
  elements: str
  sample: [i-0123456789abcdef0]
instance_arns:
  description:
    - The same instances as RV(instance_ids), each as its ARN, which names its account and Region
      (the form M(secops.aws_ir.incident_targets) takes with O(member_role)).
  returned: success
  type: list
  elements: str
  sample: [arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0]
  version_added: 1.1.0
account_id:
  description: The account the run acts in (the caller's).
  returned: success
  type: str
  sample: "123456789012"
region:
  description: The Region the run acts in.
  returned: success
  type: str
  sample: us-east-1
findings:
  description: The findings acted on, in the order given.
  returned: success
  type: list
  elements: dict
  sample:
    - source: guardduty
      id: 9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77
      arn: arn:aws:guardduty:us-east-1:123456789012:detector/12abc34d567e8fa901bc2d34e56789f0/finding/9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77
      product_arn: null
      account_id: '123456789012'
      region: us-east-1
      severity:
        label: HIGH
        score: 8.0
      types:
      - Backdoor:EC2/C&CActivity.B
      title: EC2 instance i-0123456789abcdef0 is querying a known command and control server.
      resource_types:
      - Instance
      instances:
      - instance_id: i-0123456789abcdef0
        account_id: '123456789012'
        region: us-east-1
      created_at: '2026-11-29T20:05:11.000Z'
      updated_at: '2026-11-29T20:09:42.000Z'
      event:
        id: 7bf73129-1428-4cd3-a780-95db273d1602
        detail_type: GuardDuty Finding
        account: '123456789012'
        region: us-east-1
        time: '2026-11-29T20:10:00Z'
      finding:
        '...': '...'
  contains:
    source:
      description: C(guardduty) or C(securityhub).
      type: str
      sample: guardduty
    id:
      description: GuardDuty's C(id) or ASFF's C(Id).
      type: str
      sample: 9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77
    arn:
      description: GuardDuty's C(arn), or null.
      type: str
      sample: arn:aws:guardduty:us-east-1:123456789012:detector/12abc34d567e8fa901bc2d34e56789f0/finding/9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77
    product_arn:
      description: ASFF's C(ProductArn) (with C(id), what Security Hub's C(BatchUpdateFindings) needs), or null.
      type: str
      sample: null
    account_id:
      description: The account of the finding (GuardDuty C(accountId), ASFF C(AwsAccountId)).
      type: str
      sample: '123456789012'
    region:
      description: The Region of the finding.
      type: str
      sample: us-east-1
    severity:
      description: The finding's severity.
      type: dict
      sample: {label: HIGH, score: 8.0}
      contains:
        label:
          description: An ASFF label, C(INFORMATIONAL), C(LOW), C(MEDIUM), C(HIGH) or C(CRITICAL) (GuardDuty's score mapped as GuardDuty documents).
          type: str
          sample: HIGH
        score:
          description: GuardDuty's number, or ASFF's C(Severity.Product) (C(Severity.Normalized) without it).
          type: float
          sample: 8.0
    types:
      description: GuardDuty's C(type), or ASFF's C(Types).
      type: list
      elements: str
      sample: ['Backdoor:EC2/C&CActivity.B']
    title:
      description: The finding's title.
      type: str
      sample: EC2 instance i-0123456789abcdef0 is querying a known command and control server.
    resource_types:
      description: The types of the resources the finding names.
      type: list
      elements: str
      sample: [Instance]
    instances:
      description: The EC2 instances it names.
      type: list
      elements: dict
      sample: [{account_id: '123456789012', instance_id: i-0123456789abcdef0, region: us-east-1}]
      contains:
        instance_id:
          description: Instance id.
          type: str
          sample: i-0123456789abcdef0
        account_id:
          description: The instance's account.
          type: str
          sample: "123456789012"
        region:
          description: The instance's Region.
          type: str
          sample: us-east-1
    created_at:
      description: When the finding was created (ISO 8601), as the finding says.
      type: str
      sample: '2026-11-29T20:05:11.000Z'
    updated_at:
      description: When the finding was last updated (ISO 8601), as the finding says.
      type: str
      sample: '2026-11-29T20:09:42.000Z'
    event:
      description: The EventBridge envelope it came in, or null.
      type: dict
      sample:
        id: 7bf73129-1428-4cd3-a780-95db273d1602
        detail_type: GuardDuty Finding
        account: '123456789012'
        region: us-east-1
        time: '2026-11-29T20:10:00Z'
      contains:
        id:
          description: The event's C(id).
          type: str
          sample: 7bf73129-1428-4cd3-a780-95db273d1602
        detail_type:
          description: The event's C(detail-type).
          type: str
          sample: GuardDuty Finding
        account:
          description: The event's C(account).
          type: str
          sample: "123456789012"
        region:
          description: The event's C(region).
          type: str
          sample: us-east-1
        time:
          description: The event's C(time).
          type: str
          sample: "2026-11-29T20:10:00Z"
    finding:
      description: The finding itself, as received (without its envelope).
      type: dict
      sample: {id: 9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77, schemaVersion: '2.0', severity: 8, type: 'Backdoor:EC2/C&CActivity.B'}
refused:
  description: The findings not acted on.
  returned: always
  type: list
  elements: dict
  sample: [{source: guardduty, id: 9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77, reason: "severity LOW (score 2.0) is below min_severity MEDIUM"}]
  contains:
    source:
      description: C(guardduty) or C(securityhub).
      type: str
      sample: guardduty
    id:
      description: The finding's id.
      type: str
      sample: 9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77
    reason:
      description: Why it was not acted on.
      type: str
      sample: "severity LOW (score 2.0) is below min_severity MEDIUM"
stage:
  description: The workflow stage, C(detection).
  returned: always
  type: str
  sample: detection"""

import json

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_DETECTION
from ansible_collections.secops.aws_ir.plugins.module_utils.finding import policy
from ansible_collections.secops.aws_ir.plugins.module_utils.finding import service
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import FindingError
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import SEVERITY_LABELS
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import SOURCE_GUARDDUTY
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import SOURCES
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import parse
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import DEFAULT_TICKET_PATTERN
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket

try:
    from botocore.exceptions import BotoCoreError
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK.


def read_input(module):
    """The findings given or read by id (list of summaries)."""
    params = module.params
    if params["finding_id"] is None:
        value = params["finding"]
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as e:
                raise FindingError(f"finding is text but not JSON: {e}") from None
        return parse(value)
    if params["finding_source"] == SOURCE_GUARDDUTY:
        return parse(service.read_guardduty(module.client("guardduty"), params["finding_id"], module.region))
    return parse(service.read_securityhub(module.client("securityhub"), params["finding_id"], module.region))


def refusals_message(refused):
    return "; ".join(f"{policy.describe(r['finding'])}: {r['reason']}" for r in refused)


def partition_of(module):
    """Region -> its partition as botocore knows it; "aws" for a Region botocore does not know (incident_targets refuses it, naming it)."""
    session = module.session(module.params.get("profile"))

    def partition(region):
        try:
            return session.get_partition_for_region(region)
        except BotoCoreError:
            return "aws"
    return partition


def do(module):
    params = module.params
    if not module.region:
        raise AwsIrError("region is required (set it, or AWS_REGION)")
    findings = read_input(module)
    account = module.caller_identity()["Account"]
    reach = None if params["member_role"] else {"account_id": account, "region": module.region}
    acted, refused = policy.select(findings, params["min_severity"], params["finding_types"], reach)
    module.partial["refused"] = [{"source": r["finding"]["source"], "id": r["finding"]["id"], "reason": r["reason"]} for r in refused]
    if not acted:
        raise FindingError(f"no finding to act on: {refusals_message(refused)}")
    for item in refused:
        module.warn(f"not acted on: {policy.describe(item['finding'])}: {item['reason']}")
    ticket = params["ticket"] or policy.derived_ticket(acted)
    validate_ticket(ticket, params["ticket_pattern"], field="ticket" if params["ticket"] else "the derived ticket")
    module.exit_json(changed=False, ticket=ticket, ticket_derived=not params["ticket"], instance_ids=policy.instance_ids(acted),
                     instance_arns=policy.instance_arns(acted, partition_of(module)),
                     account_id=account, region=module.region, findings=acted)


def main():
    argument_spec = dict(
        finding=dict(type="raw"),
        finding_id=dict(type="str"),
        finding_source=dict(type="str", choices=list(SOURCES)),
        min_severity=dict(type="str", choices=list(SEVERITY_LABELS), default="MEDIUM"),
        finding_types=dict(type="list", elements="str", default=[]),
        ticket=dict(type="str"),
        ticket_pattern=dict(type="str", default=DEFAULT_TICKET_PATTERN),
        member_role=dict(type="str"),
    )
    module = AwsIrModule(
        stage=STAGE_DETECTION, argument_spec=argument_spec, supports_check_mode=True,
        mutually_exclusive=[("finding", "finding_id")], required_one_of=[("finding", "finding_id")],
        required_together=[("finding_id", "finding_source")],
    )
    module.partial["refused"] = []
    module.run(do, "the finding could not be read")


if __name__ == "__main__":
    main()
