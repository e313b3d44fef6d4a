#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: evidence_replicate
version_added: 1.1.0
short_description: Copy the evidence objects into the forensic account's evidence bucket, by that account's role
description:
  - Assumes O(copy_to.role_arn), a role of the forensic account (STS C(AssumeRole)), and with its
    credentials copies each artifact (triage output, memory image, and with O(manifest) every version
    of the ticket's manifest and case reports) into O(copy_to.evidence_bucket), a versioned bucket
    the forensic account owns, under that bucket's Object Lock (a retention of
    O(copy_to.object_lock_mode) for O(copy_to.object_lock_retention_days) when the bucket has Object Lock,
    asked for by the copy request itself, C(CopyObject) or C(CreateMultipartUpload), so that the copy is locked from the
    moment it exists).
  - Each copy is made with boto3's managed copy, in parts side by side above
    O(multipart_threshold_mib) (C(CreateMultipartUpload), C(UploadPartCopy), C(CompleteMultipartUpload))
    and recorded as one C(CopyObject) action; it is then read back (streamed) and its SHA-256 must
    equal the one recorded for its source, else the module fails naming both.
  - A copy carries its source in its metadata (C(source-s3-uri), C(source-version-id)), by which a
    re-run finds it and makes none twice.
  - Before the first copy the module checks that the role can be assumed and acts in O(copy_to.account_id),
    and that the bucket exists, is owned by that account (C(ExpectedBucketOwner)) and is versioned.
  - Check mode copies nothing and lists the copies it would make.
author:
  - secops.aws_ir developers (@secops)
options:
  ticket:
    description: The incident ticket (its normalised form names the manifest's folder).
    type: str
    required: true
  bucket:
    description: The compromised account's evidence bucket, where the manifest is (O(manifest)).
    type: str
    required: true
  instances:
    description:
      - The instances whose artifacts to copy, as a stage returned them (RV(secops.aws_ir.ssm_volatile_capture#module:instances)),
        each with C(instance_id) and C(artifacts) (C(bucket), C(key), C(s3_uri), C(version_id), C(sha256)).
    type: list
    elements: dict
    default: []
  manifest:
    description: Whether to copy every version of the ticket's C(manifest.json), C(report.html) and C(report.md) too.
    type: bool
    default: false
  copy_to:
    description: The forensic account's side.
    type: dict
    required: true
    suboptions:
      account_id:
        description: The forensic account (12 digits), which must own O(copy_to.evidence_bucket).
        type: str
        required: true
      role_arn:
        description: The role of the forensic account that makes the copies.
        type: str
        required: true
      evidence_bucket:
        description: The forensic account's versioned evidence bucket, ideally with Object Lock.
        type: str
        required: true
      object_lock_mode:
        description: Retention mode of the copies where the bucket has Object Lock.
        type: str
        choices: [GOVERNANCE, COMPLIANCE]
        default: GOVERNANCE
      object_lock_retention_days:
        description: Retention of the copies, in days.
        type: int
        default: 365
  multipart_threshold_mib:
    description: Objects larger than this (MiB, at least 5) are copied in parts of this size, side by side.
    type: int
    default: 64
  max_concurrency:
    description: How many parts are copied at once.
    type: int
    default: 10
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - The forensic role needs C(s3:GetObject) and C(s3:GetObjectVersion) on the source bucket (its
    bucket policy), and C(s3:PutObject), C(s3:PutObjectRetention) (a copy request that sets a retention needs it), C(s3:GetObject),
    C(s3:ListBucketVersions), C(s3:GetBucketVersioning), C(s3:ListBucket) and
    C(s3:GetBucketObjectLockConfiguration) on its own bucket.
"""

EXAMPLES = r"""
- name: Copy the triage output and memory images of INC-123456 into the forensic account
  secops.aws_ir.evidence_replicate:
    ticket: INC-123456
    bucket: aws-ir-evidence-123456789012-us-east-1
    instances: "{{ volatile_capture_result.instances }}"
    copy_to:
      account_id: "111122223333"
      role_arn: arn:aws:iam::111122223333:role/aws-ir-forensic
      evidence_bucket: aws-ir-evidence-111122223333-us-east-1
"""

RETURN = r"""
instances:
  description: Per instance, its artifacts' copies (C(kind) C(forensic_copy)), recorded in the manifest beside their sources.
  returned: always
  type: list
  elements: dict
  sample: [{"instance_id": "i-0123456789abcdef0", "artifacts": [{"kind": "forensic_copy", "bucket": "aws-ir-evidence-111122223333-us-east-1",
           "key": "INC-123456/volatile/triage/i-0123456789abcdef0/stdout",
           "s3_uri": "s3://aws-ir-evidence-111122223333-us-east-1/INC-123456/volatile/triage/i-0123456789abcdef0/stdout",
           "version_id": "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd", "size_bytes": 11262,
           "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
           "source_s3_uri": "s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/volatile/triage/i-0123456789abcdef0/stdout",
           "source_version_id": "Ui8X1CWnUqiVZ1xjbGxJkKqGy8m2FbYx"}]}]
  contains:
    instance_id:
      description: Instance id.
      type: str
      sample: i-0123456789abcdef0
    artifacts:
      description: The copies of its artifacts, read back from the forensic account's bucket.
      type: list
      elements: dict
      sample: []
      contains:
        kind:
          description: What the object holds.
          type: str
          sample: forensic_copy
        bucket:
          description: The bucket.
          type: str
          sample: aws-ir-evidence-111122223333-us-east-1
        key:
          description: The object key.
          type: str
          sample: INC-123456/volatile/triage/i-0123456789abcdef0/stdout
        s3_uri:
          description: C(s3://bucket/key).
          type: str
          sample: s3://aws-ir-evidence-111122223333-us-east-1/INC-123456/volatile/triage/i-0123456789abcdef0/stdout
        version_id:
          description: S3 C(VersionId) of the object.
          type: str
          sample: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
        size_bytes:
          description: Size in bytes, as read back from S3.
          type: int
          sample: 11262
        sha256:
          description: SHA-256 (hex) of the bytes read back from S3 (C(GetObject)).
          type: str
          sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
        source_s3_uri:
          description: The object it is a copy of, in the evidence bucket.
          type: str
          sample: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/volatile/triage/i-0123456789abcdef0/stdout
        source_version_id:
          description: S3 C(VersionId) of the source object copied.
          type: str
          sample: Ui8X1CWnUqiVZ1xjbGxJkKqGy8m2FbYx
manifest_copies:
  description:
    - With O(manifest), the copies of the manifest's and reports' versions (the keys of RV(instances[].artifacts)).
    - M(secops.aws_ir.evidence_manifest) records them in the manifest's C(manifest_copies) when this result is among its stage
      results (a version cannot record its own copy; the next version records it).
  returned: always
  type: list
  elements: dict
  sample: [{kind: forensic_copy, bucket: aws-ir-evidence-111122223333-us-east-1, key: INC-123456/manifest.json,
            s3_uri: "s3://aws-ir-evidence-111122223333-us-east-1/INC-123456/manifest.json", version_id: 7sXp2Qw9LmN4bV6cZ8rT1yU3iO5aS0dF,
            size_bytes: 48213, sha256: 0b5ad5d28d3f0c6f3b3a3f9d7b6c1e2a4d5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b,
            source_s3_uri: "s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/manifest.json",
            source_version_id: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd}]
actions:
  description:
    - Every copy made (C(CopyObject), target the copy's C(s3://) URI).
  returned: always
  type: list
  elements: dict
  sample:
    - time: '2026-11-29T20:15:02.481Z'
      stage: replication
      service: s3
      action: CopyObject
      target: s3://aws-ir-evidence-111122223333-us-east-1/INC-123456/volatile/triage/i-0123456789abcdef0/stdout
      instance_ids:
      - i-0123456789abcdef0
      parameters:
        Bucket: aws-ir-evidence-111122223333-us-east-1
        Key: INC-123456/volatile/triage/i-0123456789abcdef0/stdout
        CopySource:
          Bucket: aws-ir-evidence-123456789012-us-east-1
          Key: INC-123456/volatile/triage/i-0123456789abcdef0/stdout
          VersionId: Ui8X1CWnUqiVZ1xjbGxJkKqGy8m2FbYx
      before: null
      after:
        version_id: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
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
      sample: replication
    service:
      description: The AWS service, as in IAM action names.
      type: str
      sample: s3
    action:
      description: The AWS API name.
      type: str
      sample: CopyObject
    target:
      description: The resource the call changes (an id, an ARN or an C(s3://) URI).
      type: str
      sample: s3://aws-ir-evidence-111122223333-us-east-1/INC-123456/volatile/triage/i-0123456789abcdef0/stdout
    instance_ids:
      description: The target instances the call concerns; empty for a shared resource.
      type: list
      elements: str
      sample: [i-0123456789abcdef0]
    parameters:
      description: The parameters sent, each secret replaced by C(<redacted>).
      type: dict
      sample:
        Bucket: aws-ir-evidence-111122223333-us-east-1
        Key: INC-123456/volatile/triage/i-0123456789abcdef0/stdout
        CopySource:
          Bucket: aws-ir-evidence-123456789012-us-east-1
          Key: INC-123456/volatile/triage/i-0123456789abcdef0/stdout
          VersionId: Ui8X1CWnUqiVZ1xjbGxJkKqGy8m2FbYx
    before:
      description: What the call changes, as it was before; null when there was nothing.
      type: raw
      sample: null
    after:
      description: What the call changes, as it is after (for a create, what AWS made); null when nothing is left.
      type: raw
      sample: {version_id: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd}
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
  description: The workflow stage, C(replication).
  returned: always
  type: str
  sample: replication
"""

try:
    from boto3.s3.transfer import TransferConfig
except ImportError:
    pass  # AnsibleAWSModule reports missing boto3

from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_REPLICATION
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot import forensic_account
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import replication
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import key_versions
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import read_artifact
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import retention
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.owner import evidence_client
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import normalize_ticket

MIB = 1024 * 1024
RECORD_NAMES = ("manifest.json", "report.html", "report.md")


def record_versions(source_s3, bucket, ticket):
    """Every version of the ticket's manifest and reports in the source bucket, read and hashed (as artifacts)."""
    found = []
    for name in RECORD_NAMES:
        key = f"{normalize_ticket(ticket)}/{name}"
        for version in key_versions(source_s3, bucket, key):
            if not version["delete_marker"]:
                found.append(read_artifact(source_s3, bucket, key, version_id=version["version_id"]))
    return [f for f in found if f is not None]


def copy_each(module, log, s3, copier, sources, lock, instance_ids):
    """The copy of each source in the forensic bucket: found by its metadata, or made and checked."""
    bucket = module.params["copy_to"]["evidence_bucket"]
    copies = []
    for source in sources:
        version_id = replication.find_copy(s3, bucket, source)
        if version_id is not None:
            copies.append(replication.verified(s3, source, bucket, version_id))
        else:
            copies.append(replication.copy_artifact(log, copier, s3, source, bucket, lock, instance_ids(source)))
    return copies


def do(module):
    params, copy_to = module.params, module.params["copy_to"]
    if params["multipart_threshold_mib"] < 5:
        module.fail_json(msg=f"multipart_threshold_mib: {params['multipart_threshold_mib']} is below 5, the smallest part S3 takes")
    forensic_account.validate_role(copy_to["role_arn"], copy_to["account_id"])
    result = {"instances": [], "manifest_copies": []}
    module.partial.update(result)
    # Everything below is read before the first copy, so that bad input changes nothing.
    credentials = forensic_account.assume_role(module.client("sts"), copy_to["role_arn"], params["ticket"])
    forensic_account.check_account(module.client("sts", **credentials), copy_to["account_id"], copy_to["role_arn"])
    s3 = module.client("s3", **credentials)
    replication.check_bucket(s3, copy_to["evidence_bucket"], copy_to["account_id"])
    lock = retention(s3, copy_to["evidence_bucket"], copy_to["object_lock_mode"], copy_to["object_lock_retention_days"])
    records = record_versions(evidence_client(module, params["bucket"]), params["bucket"], params["ticket"]) if params["manifest"] else []
    threshold = params["multipart_threshold_mib"] * MIB
    transfer = TransferConfig(multipart_threshold=threshold, multipart_chunksize=threshold, max_concurrency=params["max_concurrency"])
    copier = replication.ManagedCopy(s3.client, transfer)
    for instance in params["instances"]:
        sources = [a for a in instance.get("artifacts", []) if a.get("kind") != replication.KIND]
        copies = copy_each(module, module.actions, s3, copier, sources, lock, lambda source, i=instance["instance_id"]: [i])
        result["instances"].append({"instance_id": instance["instance_id"], "artifacts": copies})
    result["manifest_copies"] = copy_each(module, module.actions, s3, copier, records, lock, lambda source: [])
    module.exit_json(changed=module.actions.changed, **result)


def main():
    argument_spec = dict(
        ticket=dict(type="str", required=True),
        bucket=dict(type="str", required=True),
        instances=dict(type="list", elements="dict", default=[]),
        manifest=dict(type="bool", default=False),
        copy_to=dict(type="dict", required=True, options=dict(
            account_id=dict(type="str", required=True),
            role_arn=dict(type="str", required=True),
            evidence_bucket=dict(type="str", required=True),
            object_lock_mode=dict(type="str", choices=["GOVERNANCE", "COMPLIANCE"], default="GOVERNANCE"),
            object_lock_retention_days=dict(type="int", default=365),
        )),
        multipart_threshold_mib=dict(type="int", default=64),
        max_concurrency=dict(type="int", default=10),
    )
    module = AwsIrModule(stage=STAGE_REPLICATION, argument_spec=argument_spec, supports_check_mode=True)
    module.run(do, "copying the evidence into the forensic account stopped; the actions list says which copies were made")


if __name__ == "__main__":
    main()
