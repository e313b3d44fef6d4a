#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: incident_preflight
version_added: 1.0.0
short_description: Check everything an incident response needs before its first change
description:
  - Read-only first stage of the response. It validates the ticket,
    resolves the target instances (the ids given, else the instances tagged
    C(IncidentTicket=<ticket>)), checks the evidence bucket and the caller's
    credentials, and asks Systems Manager which targets SSM Run Command can reach.
  - One ticket, one case (docs/tickets.md). A target tagged C(IncidentTicket) with another ticket is refused,
    naming it; so is a ticket whose normalised form already names the manifest of another ticket
    (C(INC 123456) where C(INC-123456) has its case).
  - Any problem that would stop the response fails here, naming the field and the
    value, before anything is changed. The module never changes anything and
    supports check mode.
  - AWS APIs called, all read-only; STS C(GetCallerIdentity), EC2 C(DescribeInstances),
    S3 C(GetBucketLocation), C(GetBucketVersioning), C(GetObjectLockConfiguration),
    C(GetBucketEncryption), C(GetObject) (the case's manifest, for its ticket), SSM C(DescribeInstanceInformation), KMS C(DescribeKey) (with O(signing_key_id)).
  - Every S3 request names the caller's account as C(ExpectedBucketOwner); a bucket another account owns is
    refused, naming the bucket and the responder's account.
author:
  - secops.aws_ir developers (@secops)
options:
  instance_ids:
    description:
      - The instances to respond to.
      - When omitted, the targets are the instances tagged C(IncidentTicket) with the
        ticket as given or its normalised form that are not terminated; finding none is an error.
    type: list
    elements: str
  resolve_instances:
    description:
      - V(false) when every instance of the response is in another account or Region, checked by
        M(secops.aws_ir.incident_targets); no instance is resolved here (RV(instance_ids) is empty) and
        O(instance_ids) must be omitted; the ticket, the credentials, the bucket and the signing key are checked as always.
    type: bool
    default: true
    version_added: 1.1.0
  bucket:
    description:
      - The evidence bucket. It must exist in O(region) and have versioning enabled.
      - Defaults to C(aws-ir-evidence-<account id>-<region>).
    type: str
  signing_key_id:
    description:
      - The asymmetric KMS key that will sign the manifest versions (see M(secops.aws_ir.evidence_manifest)); checked to
        exist, be enabled and have C(KeyUsage) C(SIGN_VERIFY) with a SHA-256 signing algorithm (KMS C(DescribeKey)).
      - Omitted, a warning says that the manifest's chain will prove the order of its versions, not who wrote them.
    type: str
extends_documentation_fragment:
  - secops.aws_ir.ticket
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Check the response to INC-123456 can run
  secops.aws_ir.incident_preflight:
    ticket: INC-123456
    region: eu-west-1
  register: preflight

- name: Check explicit targets and a named evidence bucket
  secops.aws_ir.incident_preflight:
    ticket: INC-123456
    instance_ids:
      - i-0123456789abcdef0
    bucket: acme-forensics-evidence
"""

RETURN = r"""
ticket:
  description: The ticket as given and in its normalised form (used in tags and S3 keys).
  returned: always
  type: dict
  sample: {normalized: INC-123456, raw: INC-123456}
  contains:
    raw:
      description: The ticket as given.
      type: str
      sample: INC-123456
    normalized:
      description:
        - The case key, in the case's S3 prefix and in the tags the collection writes. The ticket in upper case, every
          run of characters other than letters, digits, C(.), C(_) and C(-) replaced by C(-).
      type: str
      sample: INC-123456
checked_at:
  description: When the preflight started (UTC, ISO 8601 with milliseconds); the start of the response.
  returned: always
  type: str
  sample: "2026-11-29T20:15:01.123Z"
region:
  description: The Region checked.
  returned: success
  type: str
  sample: us-east-1
caller:
  description: Who is responding, from STS C(GetCallerIdentity).
  returned: success
  type: dict
  sample: {account: '123456789012', arn: 'arn:aws:sts::123456789012:assumed-role/IncidentResponder/alice', user_id: 'AROAEXAMPLE:alice'}
  contains:
    arn:
      description: ARN of the caller.
      type: str
      sample: arn:aws:sts::123456789012:assumed-role/IncidentResponder/alice
    account:
      description: The 12-digit account id.
      type: str
      sample: "123456789012"
    user_id:
      description: The unique id of the caller.
      type: str
      sample: AROAEXAMPLE:alice
signing:
  description: The manifest signing key as checked, or null without O(signing_key_id).
  returned: success
  type: dict
  sample: {key_arn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", key_spec: ECC_NIST_P256,
           algorithm: ECDSA_SHA_256}
  contains:
    key_arn:
      description: The key's ARN (C(DescribeKey)).
      type: str
      sample: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    key_spec:
      description: The key's C(KeySpec).
      type: str
      sample: ECC_NIST_P256
    algorithm:
      description: The signing algorithm the manifest versions are signed with.
      type: str
      sample: ECDSA_SHA_256
bucket:
  description: The evidence bucket and how well it keeps evidence.
  returned: success
  type: dict
  sample:
    name: aws-ir-evidence-123456789012-us-east-1
    region: us-east-1
    versioning: Enabled
    object_lock: true
    default_retention:
      mode: GOVERNANCE
      days: 365
      years: null
    encryption: aws:kms
    warnings: []
  contains:
    name:
      description: Bucket name.
      type: str
      sample: aws-ir-evidence-123456789012-us-east-1
    region:
      description: Region of the bucket (C(GetBucketLocation)).
      type: str
      sample: us-east-1
    versioning:
      description: Versioning status (C(GetBucketVersioning)); always C(Enabled) on success.
      type: str
      sample: Enabled
    object_lock:
      description: Whether Object Lock is enabled on the bucket (C(GetObjectLockConfiguration)).
      type: bool
      sample: true
    default_retention:
      description: The bucket's default Object Lock retention, or null.
      type: dict
      sample: {mode: GOVERNANCE, days: 365, years: null}
      contains:
        mode:
          description: C(GOVERNANCE) or C(COMPLIANCE).
          type: str
          sample: GOVERNANCE
        days:
          description: The retention in days, or null when given in years.
          type: int
          sample: 365
        years:
          description: The retention in years, or null when given in days.
          type: int
          sample: null
    encryption:
      description: Default encryption algorithm (C(GetBucketEncryption)), for example C(aws:kms) or C(AES256), or null.
      type: str
      sample: aws:kms
    warnings:
      description:
        - What makes the bucket a weaker evidence store (no Object Lock; Object Lock without a default
          retention, so the SSM Agent's uploads are not locked; no default encryption). Also issued as warnings.
      type: list
      elements: str
      sample: []
instance_ids:
  description: The ids of the target instances, in the order given or sorted when found by tag.
  returned: success
  type: list
  elements: str
  sample: [i-0123456789abcdef0]
instances:
  description: One entry per target instance, in the order of RV(instance_ids).
  returned: success
  type: list
  elements: dict
  sample: [{instance_id: i-0123456789abcdef0, ssm: {ping_status: Online, reachable: true}, state: running, volatile_capture: possible}]
  contains:
    instance_id:
      description: Instance id.
      type: str
      sample: i-0123456789abcdef0
    state:
      description: EC2 instance state name (C(running), C(stopped), ...).
      type: str
      sample: running
    platform:
      description: C(windows) or C(linux), from the instance's C(Platform).
      type: str
      sample: linux
    spot:
      description: Whether the instance is a Spot instance (C(InstanceLifecycle)); Spot instances cannot get termination protection.
      type: bool
      sample: false
    vpc_ids:
      description: The VPCs of the instance's network interfaces.
      type: list
      elements: str
      sample: [vpc-0a1b2c3d4e5f6a7b8]
    ssm:
      description: SSM reachability from C(DescribeInstanceInformation).
      type: dict
      sample:
        ping_status: Online
        platform_type: Linux
        platform_name: Amazon Linux
        platform_version: '2023'
        agent_version: 3.3.1142.0
        last_ping: '2026-11-29T20:14:31+00:00'
        reachable: true
        likely_cause: null
      contains:
        ping_status:
          description: C(Online), C(ConnectionLost), C(Inactive), or C(unmanaged) when SSM does not know the instance.
          type: str
          sample: Online
        platform_type:
          description: C(Linux), C(Windows) or C(MacOS) as SSM reports it, or null.
          type: str
          sample: Linux
        reachable:
          description: Whether SSM Run Command can reach the instance now (C(PingStatus=Online)).
          type: bool
          sample: true
        likely_cause:
          description: For an unreachable instance, what usually causes this status.
          type: str
          sample: 'the SSM Agent stopped answering: instance stopped or hung, agent stopped, or no route to the SSM endpoints'
        platform_name:
          description: C(PlatformName) as SSM reports it, or null.
          type: str
          sample: Amazon Linux
        platform_version:
          description: C(PlatformVersion) as SSM reports it, or null.
          type: str
          sample: "2023"
        agent_version:
          description: The SSM Agent's version, or null.
          type: str
          sample: 3.3.1142.0
        last_ping:
          description: C(LastPingDateTime), ISO 8601, or null.
          type: str
          sample: "2026-11-29T20:14:31+00:00"
    volatile_capture:
      description: Whether volatile data can be collected (C(possible)) or why not.
      type: str
      sample: possible
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import utc_now
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_PREFLIGHT
from ansible_collections.secops.aws_ir.plugins.module_utils.concurrency import side_by_side
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import default_bucket_name
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.owner import expect_owner
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.owner import inspect_owned_bucket
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.signing import preflight_signing
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import TargetError
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_reachability import describe_reachability
from ansible_collections.secops.aws_ir.plugins.module_utils.preflight.case import refuse_other_case_in
from ansible_collections.secops.aws_ir.plugins.module_utils.preflight.identity import caller_identity
from ansible_collections.secops.aws_ir.plugins.module_utils.preflight.identity import validate_region
from ansible_collections.secops.aws_ir.plugins.module_utils.preflight.targets import describe_target
from ansible_collections.secops.aws_ir.plugins.module_utils.preflight.targets import resolve_targets
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import DEFAULT_TICKET_PATTERN
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import normalize_ticket
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket


def do(module):
    params = module.params
    checked_at = utc_now()
    ticket = validate_ticket(params["ticket"], params["ticket_pattern"])
    normalized = normalize_ticket(ticket)
    module.partial["ticket"] = {"raw": ticket, "normalized": normalized}
    region = validate_region(module.session(module.params.get("profile")), module.region)
    if not params["resolve_instances"] and params["instance_ids"]:
        raise TargetError(f"instance_ids {params['instance_ids']} were given with resolve_instances=false: omit one or the other")

    caller = caller_identity(module.client("sts"))
    module.account = caller["account"]
    bucket_name = params["bucket"] or default_bucket_name(caller["account"], region)
    # Independent reads, side by side; a fault is reported as when they ran one after another (the first in this order).
    instances, (bucket, bucket_warnings), (signing, signing_warnings), _case = side_by_side(
        lambda: resolve_targets(module.client("ec2"), params["instance_ids"], ticket) if params["resolve_instances"] else {},
        lambda: inspect_owned_bucket(module, bucket_name, region, caller["account"]),
        lambda: preflight_signing(lambda: module.client("kms"), params["signing_key_id"]),
        lambda: refuse_other_case_in(expect_owner(module.client("s3"), bucket_name, caller["account"]), bucket_name, ticket),
    )
    reachability = describe_reachability(module.client("ssm"), list(instances))

    targets = [describe_target(instance, reachability[i]) for i, instance in instances.items()]
    warnings = bucket_warnings + signing_warnings
    for target in targets:
        if target["volatile_capture"] != "possible":
            warnings.append(f"{target['instance_id']}: volatile capture {target['volatile_capture']}")
    for warning in warnings:
        module.warn(warning)
    module.exit_json(
        changed=False,
        checked_at=checked_at,
        region=region,
        caller=caller,
        bucket=dict(bucket, warnings=bucket_warnings),
        signing=signing,
        instance_ids=list(instances),
        instances=targets,
    )


def main():
    argument_spec = dict(
        ticket=dict(type="str", required=True),
        ticket_pattern=dict(type="str", default=DEFAULT_TICKET_PATTERN),
        instance_ids=dict(type="list", elements="str"),
        resolve_instances=dict(type="bool", default=True),
        bucket=dict(type="str"),
        signing_key_id=dict(type="str"),
    )
    module = AwsIrModule(stage=STAGE_PREFLIGHT, argument_spec=argument_spec, supports_check_mode=True)
    module.run(do, "preflight could not read the account")


if __name__ == "__main__":
    main()
