#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: evidence_manifest
version_added: 1.0.0
short_description: Write the evidence manifest of an incident to S3
description:
  - Records the response in C(s3://<bucket>/<normalised ticket>/manifest.json), the last stage of the
    response. It holds the ticket (raw and normalised), the collection version, each run (actor from
    C(GetCallerIdentity), controller host, start and end times, status, the stage that failed),
    every mutating action of every module, and per instance the preflight facts, the state
    before the response, the artifacts, the snapshots, the outcome of each stage and the warnings.
  - Merges into the manifest already there, if any; actions are appended and never rewritten,
    and the state before the response is the one first recorded. Each new S3 version records
    the C(VersionId) and SHA-256 of the version before it.
  - The manifest is validated against the collection's JSON Schema (version 1) before upload.
    The upload carries its SHA-256 checksum (C(x-amz-checksum-sha256)) and, where the bucket
    has Object Lock, a retention (O(object_lock_mode), O(object_lock_retention_days)).
  - Writes nothing when the runs add nothing new (changed=false). Check mode writes nothing
    and returns the manifest that would be written, with the planned actions.
author:
  - secops.aws_ir developers (@secops)
requirements:
  - jsonschema
options:
  bucket:
    description: The evidence bucket.
    type: str
    required: true
  ticket:
    description: The incident ticket as given by the responder (the raw ticket).
    type: str
    required: true
  ticket_pattern:
    description: Python regular expression the whole ticket must match.
    type: str
    default: '^[A-Za-z][A-Za-z0-9]*-[0-9]+$'
  stage_results:
    description:
      - The registered results of the stage modules (M(secops.aws_ir.incident_preflight),
        M(secops.aws_ir.ec2_quarantine), M(secops.aws_ir.ssm_volatile_capture),
        M(secops.aws_ir.forensic_snapshot)), failed ones included. Each needs C(stage);
        C(actions) and C(instances) are read from it.
    type: list
    elements: dict
    default: []
  run:
    description: What is known about the run that produced the results.
    type: dict
    default: {}
    suboptions:
      playbook:
        description: The playbook (or job template) that ran.
        type: str
        default: respond.yml
      started_at:
        description: When the run started, ISO 8601 UTC. Defaults to now.
        type: str
      status:
        description: C(complete), or C(failed) when a stage failed.
        type: str
        choices: [complete, failed]
        default: complete
      failed_stage:
        description: The stage (or task) that failed.
        type: str
      failure:
        description: The failure message.
        type: str
  object_lock_mode:
    description: Object Lock retention mode of each manifest version (when the bucket has Object Lock).
    type: str
    choices: [GOVERNANCE, COMPLIANCE]
    default: GOVERNANCE
  object_lock_retention_days:
    description: Object Lock retention of each manifest version, in days.
    type: int
    default: 365
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Record the response
  secops.aws_ir.evidence_manifest:
    bucket: aws-ir-evidence-123456789012-us-east-1
    ticket: INC-123456
    stage_results:
      - "{{ preflight_result }}"
      - "{{ contain_result }}"
    run:
      playbook: respond.yml
      status: complete
"""

RETURN = r"""
manifest:
  description: The manifest as written (or as it would be written in check mode).
  returned: always
  type: dict
s3_uri:
  description: Where the manifest is.
  returned: always
  type: str
  sample: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/manifest.json
version_id:
  description: S3 C(VersionId) of the manifest version written, or of the current one when nothing was written.
  returned: always
  type: str
sha256:
  description: SHA-256 (hex) of the manifest bytes in S3.
  returned: always
  type: str
previous_version:
  description: C(version_id) and C(sha256) of the version this one follows, or null for the first.
  returned: always
  type: dict
object_lock:
  description: C(mode) and C(retain_until_date) of the version written, or null when the bucket has no Object Lock.
  returned: always
  type: dict
"""

import base64
import datetime
import json
import socket
import uuid

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils import manifest as model
from ansible_collections.secops.aws_ir.plugins.module_utils.actions import utc_now
from ansible_collections.secops.aws_ir.plugins.module_utils.artifacts import s3_uri
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_MANIFEST
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence_bucket import validate_bucket_name
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import DEFAULT_TICKET_PATTERN
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import normalize_ticket
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket


def read_current(client, bucket, key):
    """(manifest dict, {"version_id", "sha256"}) of the current version, or (None, None)."""
    try:
        response = client.get_object(aws_retry=True, Bucket=bucket, Key=key)
    except is_boto3_error_code(["NoSuchKey", "404"]):
        return None, None
    body = response["Body"].read()
    return json.loads(body), {"version_id": response.get("VersionId"), "sha256": model.sha256_hex(body)}


def object_lock_enabled(client, bucket):
    try:
        configuration = client.get_object_lock_configuration(aws_retry=True, Bucket=bucket)["ObjectLockConfiguration"]
    except is_boto3_error_code("ObjectLockConfigurationNotFoundError"):
        return False
    return configuration.get("ObjectLockEnabled") == "Enabled"


def run_record(module, now):
    run = module.params["run"]
    identity = module.client("sts").get_caller_identity(aws_retry=True)
    return {
        "run_id": str(uuid.uuid4()),
        "playbook": run.get("playbook") or "respond.yml",
        "started_at": run.get("started_at") or now,
        "ended_at": now,
        "status": run.get("status") or "complete",
        "failed_stage": run.get("failed_stage"),
        "failure": run.get("failure"),
        "check_mode": module.check_mode,
        "actor": {"arn": identity["Arn"], "account": identity["Account"], "user_id": identity["UserId"]},
        "controller": {"host": socket.gethostname()},
    }


def put_manifest(module, client, bucket, key, body):
    """PutObject with its SHA-256 checksum and, where the bucket allows it, an Object Lock retention."""
    digest = model.sha256_hex(body)
    parameters = {
        "Bucket": bucket, "Key": key, "Body": body, "ContentType": "application/json",
        # S3 refuses an Object Lock upload without x-amz-sdk-checksum-algorithm (or Content-MD5);
        # the value we computed is sent as x-amz-checksum-sha256 and S3 verifies it.
        "ChecksumAlgorithm": "SHA256",
        "ChecksumSHA256": base64.b64encode(bytes.fromhex(digest)).decode(),
    }
    lock = None
    if object_lock_enabled(client, bucket):
        until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=module.params["object_lock_retention_days"])
        lock = {"mode": module.params["object_lock_mode"], "retain_until_date": until.isoformat(timespec="seconds").replace("+00:00", "Z")}
        parameters.update(ObjectLockMode=lock["mode"], ObjectLockRetainUntilDate=until)
    else:
        module.warn(f"evidence bucket {bucket!r} has no Object Lock: the manifest is written without a retention")
    recorded = {k: v for k, v in parameters.items() if k != "Body"}
    recorded.update(ContentLength=len(body), ObjectLockRetainUntilDate=lock and lock["retain_until_date"])
    response = module.actions.call(client, "s3", "PutObject", s3_uri(bucket, key), parameters, recorded=recorded,
                                   after_from=lambda r: {"version_id": r.get("VersionId"), "sha256": digest})
    return (response or {}).get("VersionId"), digest, lock


def do(module):
    params = module.params
    raw = validate_ticket(params["ticket"], params["ticket_pattern"])
    ticket = {"raw": raw, "normalized": normalize_ticket(raw)}
    bucket = validate_bucket_name(params["bucket"])
    key = model.manifest_key(ticket["normalized"])
    client = module.client("s3")
    now = utc_now()

    current, current_version = read_current(client, bucket, key)
    base = current or model.new_manifest(ticket, module.region, bucket, now)
    merged = model.merge(base, params["stage_results"])
    result = {"s3_uri": s3_uri(bucket, key), "previous_version": current_version}
    if current is not None and not model.says_something_new(current, merged):
        module.exit_json(changed=False, manifest=current, version_id=current_version["version_id"],
                         sha256=current_version["sha256"], object_lock=None, **result)

    merged["runs"].append(run_record(module, now))
    merged["updated_at"] = now
    merged["previous_version"] = current_version
    model.validate(merged)
    version_id, digest, lock = put_manifest(module, client, bucket, key, model.serialize(merged))
    module.exit_json(changed=True, manifest=merged, version_id=version_id, sha256=digest, object_lock=lock, **result)


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        ticket=dict(type="str", required=True),
        ticket_pattern=dict(type="str", default=DEFAULT_TICKET_PATTERN),
        stage_results=dict(type="list", elements="dict", default=[]),
        run=dict(type="dict", default={}, options=dict(
            playbook=dict(type="str", default="respond.yml"),
            started_at=dict(type="str"),
            status=dict(type="str", choices=["complete", "failed"], default="complete"),
            failed_stage=dict(type="str"),
            failure=dict(type="str"),
        )),
        object_lock_mode=dict(type="str", choices=["GOVERNANCE", "COMPLIANCE"], default="GOVERNANCE"),
        object_lock_retention_days=dict(type="int", default=365),
    )
    module = AwsIrModule(stage=STAGE_MANIFEST, argument_spec=argument_spec, supports_check_mode=True)
    if not model.HAS_JSONSCHEMA:
        module.fail_json(msg=missing_required_lib("jsonschema"))
    module.run(do, "the evidence manifest could not be written")


if __name__ == "__main__":
    main()
