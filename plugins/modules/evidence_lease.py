#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: evidence_lease
version_added: 1.1.0
short_description: Take or release the lease of an incident ticket, so that one run of a ticket acts at a time
description:
  - The lease is C(s3://<bucket>/<normalised ticket>/lease.json) in the evidence bucket. It names the run that
    holds it (a run id, the playbook, the caller's ARN from C(GetCallerIdentity), the controller's host name,
    when it started) and when it expires.
  - O(state=present) takes it with a conditional C(PutObject) (C(If-None-Match) C(*) when there is no lease,
    C(If-Match) with the C(ETag) of a released or expired one); of two runs that try at once, S3 accepts
    exactly one. While another run holds an unexpired lease, the module reads it again every 2 seconds for
    up to O(wait_timeout) seconds, then fails naming that run. An expired lease is taken over, with a warning
    naming the run that held it.
  - O(state=absent) writes the lease back as released, only if the run O(run_id) still holds it
    (C(If-Match) its C(ETag)); a lease that expired and was taken over by another run is left to that run.
  - C(respond.yml) and C(release.yml) take the lease right after their read-only preflight, before their first
    change, and release it at the end, also when a stage failed. Different tickets have different leases and
    run side by side.
  - Every version of the lease stays in the versioned bucket (who held the ticket, when). A lease object has no
    Object Lock retention of its own (the bucket's default retention still applies).
  - Check mode writes nothing and does not wait; it plans the C(PutObject) that takes (or releases) the lease, or,
    when another run holds it, warns naming that run and plans nothing.
  - Every S3 request names the caller's account as C(ExpectedBucketOwner).
  - AWS APIs called; S3 C(GetObject), C(PutObject); STS C(GetCallerIdentity).
author:
  - secops.aws_ir developers (@secops)
options:
  bucket:
    description: The evidence bucket.
    type: str
    required: true
  state:
    description: V(present) takes the lease, V(absent) releases it.
    type: str
    choices: [present, absent]
    default: present
  playbook:
    description: The playbook (or job template) the lease is taken for, shown to a run that finds it held.
    type: str
    default: respond.yml
  duration:
    description:
      - How long the lease holds, in seconds, from when it is taken; after that another run may take it over.
      - Longer than the longest run of the ticket (a run is not stopped when its lease expires).
    type: int
    default: 7200
  wait_timeout:
    description: How long, in seconds, to wait for a lease another run holds before failing; V(0) fails at once.
    type: int
    default: 120
  run_id:
    description: With O(state=absent), the RV(lease.run_id) the lease was taken with.
    type: str
extends_documentation_fragment:
  - secops.aws_ir.ticket
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Take the lease of INC-123456 (wait up to 2 minutes for another run of it)
  secops.aws_ir.evidence_lease:
    bucket: aws-ir-evidence-123456789012-us-east-1
    ticket: INC-123456
    playbook: respond.yml
  register: lease

- name: Release it
  secops.aws_ir.evidence_lease:
    bucket: aws-ir-evidence-123456789012-us-east-1
    ticket: INC-123456
    state: absent
    run_id: "{{ lease.lease.run_id }}"
"""

RETURN = r"""
lease:
  description: The lease as written or planned (O(state=present)); null when released, or in check mode when another run holds it.
  returned: always
  type: dict
  sample: {run_id: 7d3c1f0e-2f7a-4a9e-9d57-0c3f5a1e2b44, playbook: respond.yml, state: held,
           actor: "arn:aws:sts::123456789012:assumed-role/IncidentResponder/alice", host: responder-laptop,
           started_at: "2026-11-29T20:15:01.123Z", expires_at: "2026-11-29T22:15:01.123Z"}
  contains:
    run_id:
      description: A random id of the run holding the lease.
      type: str
      sample: 7d3c1f0e-2f7a-4a9e-9d57-0c3f5a1e2b44
    playbook:
      description: O(playbook) of the run holding it.
      type: str
      sample: respond.yml
    actor:
      description: The ARN of the caller that took it.
      type: str
      sample: arn:aws:sts::123456789012:assumed-role/IncidentResponder/alice
    host:
      description: The host name of the controller that took it.
      type: str
      sample: responder-laptop
    started_at:
      description: When it was taken, ISO 8601 UTC.
      type: str
      sample: "2026-11-29T20:15:01.123Z"
    expires_at:
      description: When it expires, ISO 8601 UTC.
      type: str
      sample: "2026-11-29T22:15:01.123Z"
    state:
      description: C(held) or C(released).
      type: str
      sample: held
s3_uri:
  description: Where the lease is.
  returned: always
  type: str
  sample: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/lease.json
taken_over:
  description: The expired lease of another run this one took over (the keys of RV(lease)), or null.
  returned: always
  type: dict
  sample: {run_id: 0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f, playbook: respond.yml, state: held,
           actor: "arn:aws:sts::123456789012:assumed-role/IncidentResponder/bob", host: responder-desktop,
           started_at: "2026-11-29T17:02:44.918Z", expires_at: "2026-11-29T19:02:44.918Z"}
waited_seconds:
  description: How long the module waited for another run's lease, in seconds.
  returned: always
  type: float
  sample: 0.0
released:
  description: With O(state=absent), whether the lease was released (false when another run took it over after it expired).
  returned: always
  type: bool
  sample: false
actions:
  description:
    - The C(PutObject) calls made (or planned). They are not in the manifest.
  returned: always
  type: list
  elements: dict
  sample:
    - time: '2026-11-29T20:15:02.481Z'
      stage: lease
      service: s3
      action: PutObject
      target: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/lease.json
      instance_ids: []
      parameters:
        Bucket: aws-ir-evidence-123456789012-us-east-1
        Key: INC-123456/lease.json
        IfNoneMatch: '*'
      before: null
      after:
        version_id: Ui8X1CWnUqiVZ1xjbGxJkKqGy8m2FbYx
        sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
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
      sample: lease
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
      sample: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/lease.json
    instance_ids:
      description: The target instances the call concerns; empty for a shared resource.
      type: list
      elements: str
      sample: []
    parameters:
      description: The parameters sent, each secret replaced by C(<redacted>).
      type: dict
      sample: {Bucket: aws-ir-evidence-123456789012-us-east-1, IfNoneMatch: '*', Key: INC-123456/lease.json}
    before:
      description: What the call changes, as it was before; null when there was nothing.
      type: raw
      sample: null
    after:
      description: What the call changes, as it is after (for a create, what AWS made); null when nothing is left.
      type: raw
      sample: {sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8, version_id: Ui8X1CWnUqiVZ1xjbGxJkKqGy8m2FbYx}
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
  description: The workflow stage, C(lease).
  returned: always
  type: str
  sample: lease
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_LEASE
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import s3_uri
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import validate_bucket_name
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.lease import Lease
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.lease import take_for_run
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.lease import timing_problem
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.owner import evidence_client
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import DEFAULT_TICKET_PATTERN
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import normalize_ticket
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket


def do(module):
    params = module.params
    ticket = normalize_ticket(validate_ticket(params["ticket"], params["ticket_pattern"]))
    bucket = validate_bucket_name(params["bucket"])
    lease = Lease(module.actions, evidence_client(module, bucket), bucket, ticket)
    result = {"s3_uri": s3_uri(lease.bucket, lease.key), "taken_over": None, "waited_seconds": 0.0, "released": False}
    if params["state"] == "absent":
        released = lease.release(params["run_id"])
        module.exit_json(changed=released, lease=None, **dict(result, released=released))
    taken = take_for_run(module, lease, params["playbook"], params["duration"], params["wait_timeout"])
    module.exit_json(changed=taken["lease"] is not None, **dict(result, **taken))


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        ticket=dict(type="str", required=True),
        ticket_pattern=dict(type="str", default=DEFAULT_TICKET_PATTERN),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        playbook=dict(type="str", default="respond.yml"),
        duration=dict(type="int", default=7200),
        wait_timeout=dict(type="int", default=120),
        run_id=dict(type="str"),
    )
    module = AwsIrModule(stage=STAGE_LEASE, argument_spec=argument_spec, supports_check_mode=True,
                         required_if=[("state", "absent", ["run_id"])])
    problem = timing_problem(module.params)
    if problem:
        module.fail_json(msg=problem)
    module.run(do, "the lease of the ticket could not be taken or released")


if __name__ == "__main__":
    main()
