#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: finding_evidence
version_added: 1.1.0
short_description: Keep the finding a response starts from as the case's first artifact
description:
  - Writes each finding (as M(secops.aws_ir.finding_info) returned it) to the evidence bucket,
    C(<normalised ticket>/finding/<source>-<finding id>.json), the finding exactly as received in
    canonical JSON (sorted keys, two-space indent), with its SHA-256 checksum and, where the bucket has
    Object Lock, a retention. The object is read back and its size, SHA-256 and C(VersionId) recorded.
  - Its result is a stage result for M(secops.aws_ir.evidence_manifest) (stage C(detection)); each
    finding's artifact comes first among the artifacts of every instance it names, and the manifest's
    C(findings) list holds each finding's summary, which opens the case report.
  - Idempotent; a finding whose object already holds the same bytes is not written again. An updated
    finding (same id, new content) becomes a new version of the same key. Check mode writes nothing and
    returns the artifacts that would be written (no C(version_id)).
  - AWS APIs called; S3 C(GetObject), C(GetObjectLockConfiguration), C(PutObject).
author:
  - secops.aws_ir developers (@secops)
options:
  bucket:
    description: The evidence bucket (checked by M(secops.aws_ir.incident_preflight) first).
    type: str
    required: true
  findings:
    description: The findings to keep, RV(secops.aws_ir.finding_info#module:findings) of M(secops.aws_ir.finding_info).
    type: list
    elements: dict
    required: true
  object_lock_mode:
    description: Object Lock retention mode of each finding's object (when the bucket has Object Lock).
    type: str
    choices: [GOVERNANCE, COMPLIANCE]
    default: GOVERNANCE
  object_lock_retention_days:
    description: Object Lock retention of each finding's object, in days, 1 to 36500.
    type: int
    default: 365
extends_documentation_fragment:
  - secops.aws_ir.ticket
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Keep the finding as the first artifact of the case
  secops.aws_ir.finding_evidence:
    bucket: aws-ir-evidence-123456789012-us-east-1
    ticket: "{{ detection.ticket }}"
    findings: "{{ detection.findings }}"
  register: finding_evidence_result
"""

RETURN = r"""
findings:
  description: Per finding, what the manifest records of it (C(findings) of the manifest).
  returned: success
  type: list
  elements: dict
  sample:
    - source: guardduty
      id: 9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77
      instance_ids:
      - i-0123456789abcdef0
      artifact:
        kind: finding
        bucket: aws-ir-evidence-123456789012-us-east-1
        key: INC-123456/findings/guardduty-9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77.json
        s3_uri: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/findings/guardduty-9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77.json
        version_id: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
        size_bytes: 2741
        sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
  contains:
    source:
      description: C(guardduty) or C(securityhub).
      type: str
      sample: guardduty
    id:
      description: The finding's id.
      type: str
      sample: 9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77
    instance_ids:
      description: The instances it names.
      type: list
      elements: str
      sample: [i-0123456789abcdef0]
    artifact:
      description: The finding's JSON as stored in the evidence bucket.
      type: dict
      sample:
        kind: finding
        bucket: aws-ir-evidence-123456789012-us-east-1
        key: INC-123456/findings/guardduty-9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77.json
        s3_uri: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/findings/guardduty-9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77.json
        version_id: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
        size_bytes: 2741
        sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
      contains:
        kind:
          description: C(finding).
          type: str
          sample: finding
        bucket:
          description: The evidence bucket.
          type: str
          sample: aws-ir-evidence-123456789012-us-east-1
        key:
          description: The object key.
          type: str
          sample: INC-123456/findings/guardduty-9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77.json
        s3_uri:
          description: C(s3://bucket/key).
          type: str
          sample: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/findings/guardduty-9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77.json
        version_id:
          description: S3 C(VersionId) of the object.
          type: str
          sample: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
        size_bytes:
          description: Size in bytes.
          type: int
          sample: 2741
        sha256:
          description: SHA-256 (hex) of the bytes in S3.
          type: str
          sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
instances:
  description: Per instance named, its findings' artifacts, for the manifest.
  returned: success
  type: list
  elements: dict
  sample: [{instance_id: i-0123456789abcdef0, artifacts: [{kind: finding, s3_uri: "...", sha256: "..."}]}]
  contains:
    instance_id:
      description: Instance id.
      type: str
      sample: i-0123456789abcdef0
    artifacts:
      description: The artifacts of the findings that name it (the shape of RV(findings[].artifact)).
      type: list
      elements: dict
      sample:
        - kind: finding
          bucket: aws-ir-evidence-123456789012-us-east-1
          key: INC-123456/findings/guardduty-9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77.json
          s3_uri: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/findings/guardduty-9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77.json
          version_id: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
          size_bytes: 2741
          sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
actions:
  description:
    - The C(PutObject) calls made (or planned in check mode).
  returned: always
  type: list
  elements: dict
  sample:
    - time: '2026-11-29T20:15:02.481Z'
      stage: detection
      service: s3
      action: PutObject
      target: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/findings/guardduty-9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77.json
      instance_ids:
      - i-0123456789abcdef0
      parameters:
        Bucket: aws-ir-evidence-123456789012-us-east-1
        Key: INC-123456/findings/guardduty-9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77.json
      before: null
      after:
        version_id: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
        sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
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
      sample: s3
    action:
      description: The AWS API name.
      type: str
      sample: PutObject
    target:
      description: The resource the call changes (an id, an ARN or an C(s3://) URI).
      type: str
      sample: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/findings/guardduty-9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77.json
    instance_ids:
      description: The target instances the call concerns; empty for a shared resource.
      type: list
      elements: str
      sample: [i-0123456789abcdef0]
    parameters:
      description: The parameters sent, each secret replaced by C(<redacted>).
      type: dict
      sample: {Bucket: aws-ir-evidence-123456789012-us-east-1, Key: INC-123456/findings/guardduty-9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77.json}
    before:
      description: What the call changes, as it was before; null when there was nothing.
      type: raw
      sample: null
    after:
      description: What the call changes, as it is after (for a create, what AWS made); null when nothing is left.
      type: raw
      sample: {sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, version_id: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd}
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

from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_DETECTION
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import validate_bucket_name
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.owner import evidence_client
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import retention_days_problem
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import retention
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.artifact import preserve
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.artifact import summary
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import DEFAULT_TICKET_PATTERN
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import normalize_ticket
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket


def instance_entries(recorded):
    """Per instance named, its findings' artifacts, in the order the findings and instances were given."""
    entries = {}
    for finding in recorded:
        for instance_id in finding["instance_ids"]:
            entries.setdefault(instance_id, {"instance_id": instance_id, "artifacts": []})["artifacts"].append(finding["artifact"])
    return list(entries.values())


def do(module):
    params = module.params
    ticket = normalize_ticket(validate_ticket(params["ticket"], params["ticket_pattern"]))
    bucket = validate_bucket_name(params["bucket"])
    client = evidence_client(module, bucket)
    lock = retention(client, bucket, params["object_lock_mode"], params["object_lock_retention_days"])
    recorded = [summary(f, preserve(module.actions, client, bucket, ticket, f, lock)) for f in params["findings"]]
    module.exit_json(changed=module.actions.changed, findings=recorded, instances=instance_entries(recorded))


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        findings=dict(type="list", elements="dict", required=True),
        ticket=dict(type="str", required=True),
        ticket_pattern=dict(type="str", default=DEFAULT_TICKET_PATTERN),
        object_lock_mode=dict(type="str", choices=["GOVERNANCE", "COMPLIANCE"], default="GOVERNANCE"),
        object_lock_retention_days=dict(type="int", default=365),
    )
    module = AwsIrModule(stage=STAGE_DETECTION, argument_spec=argument_spec, supports_check_mode=True)
    problem = retention_days_problem(module.params["object_lock_retention_days"])
    if problem:
        module.fail_json(msg=problem)
    module.run(do, "the finding could not be kept in the evidence bucket")


if __name__ == "__main__":
    main()
