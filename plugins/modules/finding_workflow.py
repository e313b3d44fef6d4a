#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: finding_workflow
version_added: 1.1.0
short_description: Tell Security Hub what the response to its findings did
description:
  - Sets the workflow status of Security Hub findings (as M(secops.aws_ir.finding_info) returned them)
    with Security Hub's C(BatchUpdateFindings), with a note (at most 512 characters, C(UpdatedBy)
    C(secops.aws_ir)) that names the ticket, the outcome and, when given, the evidence manifest's S3 URI,
    version and SHA-256. C(respond.yml) sets C(NOTIFIED) when the response starts, and C(RESOLVED) when
    it completed, or leaves C(NOTIFIED) with the failure in the note.
  - GuardDuty findings are left as they are and listed in RV(left) with the reason. GuardDuty's API has
    no workflow status; its finding feedback (C(UpdateFindingsFeedback), useful or not) judges the
    detection and C(ArchiveFindings) hides the finding, which are an analyst's calls, not the response's.
  - Idempotent; findings already in O(workflow_status) with the same note are not updated (Security Hub
    C(GetFindings) first). A finding Security Hub did not process, or a call Security Hub refused
    (no permission, Security Hub not enabled), is a warning, not a failure (RV(error)); telling
    Security Hub must never stop a response. Check mode writes nothing back and returns
    the calls it would make.
  - AWS APIs called; Security Hub C(GetFindings), C(BatchUpdateFindings).
author:
  - secops.aws_ir developers (@secops)
options:
  findings:
    description: The findings, RV(secops.aws_ir.finding_info#module:findings) of M(secops.aws_ir.finding_info).
    type: list
    elements: dict
    required: true
  workflow_status:
    description: The workflow status to set (Security Hub API Reference, WorkflowUpdate).
    type: str
    choices: [NEW, NOTIFIED, RESOLVED, SUPPRESSED]
    required: true
  ticket:
    description: The incident ticket, named in the note.
    type: str
    required: true
  outcome:
    description: What the response did, in a few words, for the note (V(response started), V(contained, captured and snapshotted)).
    type: str
    required: true
  manifest:
    description: The evidence manifest to name in the note, C(s3_uri), C(version_id) and C(sha256) (as M(secops.aws_ir.evidence_manifest) returns them).
    type: dict
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Tell Security Hub the response started
  secops.aws_ir.finding_workflow:
    findings: "{{ detection.findings }}"
    workflow_status: NOTIFIED
    ticket: "{{ detection.ticket }}"
    outcome: response started

- name: Tell Security Hub the response completed, naming the manifest
  secops.aws_ir.finding_workflow:
    findings: "{{ detection.findings }}"
    workflow_status: RESOLVED
    ticket: "{{ detection.ticket }}"
    outcome: contained, captured and snapshotted
    manifest: "{{ record_result }}"
"""

RETURN = r"""
updated:
  description: Ids of the Security Hub findings updated (planned, in check mode).
  returned: success
  type: list
  elements: str
  sample: ['arn:aws:securityhub:us-east-1:123456789012:security-control/EC2.8/finding/0f1e2d3c']
unchanged:
  description: Ids of the Security Hub findings already in the status with the same note.
  returned: success
  type: list
  elements: str
  sample: []
unprocessed:
  description: Findings Security Hub did not update (C(BatchUpdateFindings) C(UnprocessedFindings)).
  returned: success
  type: list
  elements: dict
  sample:
    - id: arn:aws:securityhub:us-east-1:123456789012:security-control/EC2.8/finding/0f1e2d3c
      error_code: FindingNotFound
      error_message: Finding not found
  contains:
    id:
      description: The finding's C(Id).
      type: str
      sample: arn:aws:securityhub:us-east-1:123456789012:security-control/EC2.8/finding/0f1e2d3c
    error_code:
      description: Security Hub's C(ErrorCode).
      type: str
      sample: FindingNotFound
    error_message:
      description: Security Hub's C(ErrorMessage).
      type: str
      sample: Finding not found
left:
  description: Findings of other sources (GuardDuty), left as they are.
  returned: success
  type: list
  elements: dict
  sample: [{source: guardduty, id: 9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77, reason: "GuardDuty's API has no workflow status (feedback and archiving
            are the analyst's judgement): the finding is left as it is"}]
  contains:
    source:
      description: C(guardduty).
      type: str
      sample: guardduty
    id:
      description: The finding's id.
      type: str
      sample: 9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77
    reason:
      description: Why it was left.
      type: str
      sample: "GuardDuty's API has no workflow status (feedback and archiving are the analyst's judgement): the finding is left as it is"
error:
  description: The error code of the Security Hub call that was refused, when one was.
  returned: when Security Hub refused a call
  type: str
  sample: InvalidAccessException
note:
  description: The note written.
  returned: success
  type: str
  sample: "secops.aws_ir GD-2739105317: response started."
actions:
  description:
    - The C(BatchUpdateFindings) calls made (or planned).
  returned: always
  type: list
  elements: dict
  sample:
    - time: '2026-11-29T20:15:02.481Z'
      stage: detection
      service: securityhub
      action: BatchUpdateFindings
      target: arn:aws:securityhub:us-east-1:123456789012:security-control/EC2.8/finding/0f1e2d3c
      instance_ids:
      - i-0123456789abcdef0
      parameters:
        FindingIdentifiers:
        - Id: arn:aws:securityhub:us-east-1:123456789012:security-control/EC2.8/finding/0f1e2d3c
          ProductArn: arn:aws:securityhub:us-east-1::product/aws/securityhub
        Workflow:
          Status: NOTIFIED
        Note:
          Text: 'secops.aws_ir GD-2739105317: response started.'
          UpdatedBy: secops.aws_ir
      before:
        arn:aws:securityhub:us-east-1:123456789012:security-control/EC2.8/finding/0f1e2d3c: NEW
      after: NOTIFIED
      outcome: ok
      error_code: null
      request_id: 8c7a3e52-4f0b-4d7e-9b3a-1e2f3a4b5c6d
  contains:
    time:
      description: When the call was made (or planned), UTC, ISO 8601 with milliseconds.
      type: str
      sample: "2026-11-29T20:15:02.481Z"
    stage:
      description: The workflow stage that made the call.
      type: str
      sample: detection
    service:
      description: The AWS service, as in IAM action names.
      type: str
      sample: securityhub
    action:
      description: The AWS API name.
      type: str
      sample: BatchUpdateFindings
    target:
      description: The resource the call changes (an id, an ARN or an C(s3://) URI).
      type: str
      sample: arn:aws:securityhub:us-east-1:123456789012:security-control/EC2.8/finding/0f1e2d3c
    instance_ids:
      description: The target instances the call concerns; empty for a shared resource.
      type: list
      elements: str
      sample: [i-0123456789abcdef0]
    parameters:
      description: The parameters sent, each secret replaced by C(<redacted>).
      type: dict
      sample:
        FindingIdentifiers:
        - Id: arn:aws:securityhub:us-east-1:123456789012:security-control/EC2.8/finding/0f1e2d3c
          ProductArn: arn:aws:securityhub:us-east-1::product/aws/securityhub
        Workflow:
          Status: NOTIFIED
        Note:
          Text: 'secops.aws_ir GD-2739105317: response started.'
          UpdatedBy: secops.aws_ir
    before:
      description: What the call changes, as it was before; null when there was nothing.
      type: raw
      sample: {'arn:aws:securityhub:us-east-1:123456789012:security-control/EC2.8/finding/0f1e2d3c': NEW}
    after:
      description: What the call changes, as it is after (for a create, what AWS made); null when nothing is left.
      type: raw
      sample: NOTIFIED
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
  description: The workflow stage, C(detection).
  returned: always
  type: str
  sample: detection"""

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK.

from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_DETECTION
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.workflow import note_text
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.workflow import update
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule


def do(module):
    params = module.params
    note = note_text(params["ticket"], params["outcome"], params["manifest"])
    try:
        result = update(module.actions, module.client("securityhub"), params["findings"], params["workflow_status"], note)
    except (ClientError, BotoCoreError) as e:
        # Telling Security Hub is not the response: a refused write-back (no permission, Security Hub not
        # enabled) must not stop a containment; the refused call is in the actions, and a warning says so.
        code = e.response["Error"]["Code"] if isinstance(e, ClientError) else type(e).__name__
        module.warn(f"Security Hub was not told ({params['workflow_status']}): {code}: {e}")
        module.exit_json(changed=module.actions.changed, note=note, error=code, updated=[], unchanged=[], unprocessed=[], left=[])
    for failed in result["unprocessed"]:
        module.warn(f"Security Hub did not update finding {failed['id']}: {failed['error_code']} {failed['error_message']}")
    module.exit_json(changed=module.actions.changed, note=note, **result)


def main():
    argument_spec = dict(
        findings=dict(type="list", elements="dict", required=True),
        workflow_status=dict(type="str", choices=["NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"], required=True),
        ticket=dict(type="str", required=True),
        outcome=dict(type="str", required=True),
        manifest=dict(type="dict"),
    )
    module = AwsIrModule(stage=STAGE_DETECTION, argument_spec=argument_spec, supports_check_mode=True)
    module.run(do, "Security Hub could not be told")


if __name__ == "__main__":
    main()
