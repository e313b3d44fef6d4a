#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: evidence_manifest
version_added: 1.0.0
short_description: Write the evidence manifest of an incident, and its case report, to S3
description:
  - Records the response in C(s3://<bucket>/<normalised ticket>/manifest.json), the last stage of the
    response. It holds the ticket (raw and normalised), the collection version, each run (actor from
    C(GetCallerIdentity), controller host, start and end times, status, the stage that failed),
    every mutating action of every module, and per instance the preflight facts, the state
    before the response, the artifacts, the snapshots, the outcome of each stage and the warnings.
  - Merges into the manifest already there, if any; actions are appended and never rewritten,
    and the state before the response is the one first recorded. Each new S3 version records
    the C(VersionId) and SHA-256 of the version before it.
  - Every write is conditional (C(If-None-Match) C(*) for a ticket's first version, C(If-Match) with the
    C(ETag) of the version it was merged into for every later one), so two runs never both follow the
    same version; a run whose condition fails (412 C(PreconditionFailed), 409 C(ConditionalRequestConflict))
    reads the other run's version, merges into it and tries again, at most 5 times.
  - Each version is first written to a journal file on the host that runs the module (O(journal_dir)) and
    the file is removed once S3 accepted the version. When the upload fails the file is kept and the
    module fails naming it; the next call for the ticket (any O(stage_results), or O(journal_only))
    uploads what the journal holds first, each as its own version, its run marked C(uploaded_from_journal).
  - Each instance lists the positions of the actions that concern it (C(action_indexes));
    each run records the evidence bucket as the preflight found it. Every stage result is
    redacted as it is merged (presigned URLs and values of keys naming a secret become
    C(<redacted>)).
  - The manifest is validated against the collection's JSON Schema (version 1, shipped as
    C(schemas/evidence-manifest-v1.json)) before upload.
    The upload carries its SHA-256 checksum (C(x-amz-checksum-sha256)) and, where the bucket
    has Object Lock, a retention (O(object_lock_mode), O(object_lock_retention_days)).
  - With O(report), the case report is rendered from the manifest alone and written next to it,
    C(<ticket>/report.html) (self-contained) and C(<ticket>/report.md), with the same checksum
    and retention, and the user metadata C(manifest-version-id) naming the version it shows.
  - The module writes no file of the case on the host that runs it, only its journal (O(journal_dir)). It returns
    what it wrote (or would write) in RV(contents), for a task to keep local copies, as the C(record) role does with
    M(ansible.builtin.copy).
  - Writes nothing to S3 when the runs add nothing new (changed=false), except a report that is
    missing or was not rendered from the current version. Check mode writes nothing to S3; it
    returns the manifest that would be written, whose new run has C(check_mode=true) and whose
    new actions have the outcome C(planned).
  - Every S3 request names the caller's account (STS C(GetCallerIdentity)) as C(ExpectedBucketOwner);
    S3 refuses it (403) when another account owns the bucket.
  - AWS APIs called; S3 C(GetObject), C(GetObjectLockConfiguration), C(HeadObject),
    C(PutObject); STS C(GetCallerIdentity); KMS C(DescribeKey), C(Sign) (with O(signing_key_id)).
author:
  - secops.aws_ir developers (@secops)
requirements:
  - jsonschema
options:
  bucket:
    description: The evidence bucket.
    type: str
    required: true
  bucket_owner:
    description:
      - The account id that must own O(bucket). Every S3 request on the bucket names it as C(ExpectedBucketOwner), and S3
        refuses the request (403 AccessDenied) when another account owns the bucket.
      - Defaults to the account of the credentials in use (STS C(GetCallerIdentity)). Set it when they are another
        account's, as when C(playbooks/analyze.yml) runs with the forensic account's role on the compromised account's bucket.
    type: str
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
    description: Object Lock retention of each manifest version (and report), in days, 1 to 36500.
    type: int
    default: 365
  report:
    description: Whether to render the case report and write it next to the manifest.
    type: bool
    default: true
  journal_dir:
    description:
      - The journal folder on the host that runs the module; versions are kept under
        C(<journal_dir>/<bucket>/<ticket>/) until S3 holds them.
      - Omitted, C($XDG_DATA_HOME/secops.aws_ir/journal), else C(~/.local/share/secops.aws_ir/journal).
      - In an AWX execution environment the job's filesystem is discarded when the job ends; mount a
        persistent folder there and name it here, or a journal kept by a failed upload is lost with the
        job (its output still holds the manifest).
    type: path
  signing_key_id:
    description:
      - An asymmetric KMS key (id, ARN or alias; C(KeyUsage) C(SIGN_VERIFY), ECC_NIST_P256 or RSA) that signs every
        version written, with KMS C(Sign) of the version's SHA-256 (C(MessageType=DIGEST)), stored with the version as S3 user
        metadata C(manifest-signature) (base64), C(manifest-signing-key) (the key's ARN) and C(manifest-signing-algorithm).
      - M(secops.aws_ir.evidence_verify) with the same key reports a version without a valid signature as forged.
      - Omitted, versions are not signed, and the chain proves the order of the versions but not who wrote them.
    type: str
  journal_only:
    description: Only upload what the journal holds for the ticket (the first step of a run, before any change); O(stage_results) is ignored.
    type: bool
    default: false
  lease:
    description:
      - With O(journal_only), first take the ticket's lease as M(secops.aws_ir.evidence_lease) with O(secops.aws_ir.evidence_lease#module:state=present)
        does (same object, same conditional C(PutObject), same waiting, same check mode), then upload the journal (the first
        step of a run, in one task instead of two). Release it with M(secops.aws_ir.evidence_lease) and the C(run_id) of RV(lease).
      - When the journal upload fails after the lease was taken, the failed result still holds RV(lease), so the run can release it.
      - Omitted, no lease is taken.
    type: dict
    suboptions:
      playbook:
        description: As O(secops.aws_ir.evidence_lease#module:playbook).
        type: str
        default: respond.yml
      duration:
        description: As O(secops.aws_ir.evidence_lease#module:duration), in seconds.
        type: int
        default: 7200
      wait_timeout:
        description: As O(secops.aws_ir.evidence_lease#module:wait_timeout), in seconds.
        type: int
        default: 120
extends_documentation_fragment:
  - secops.aws_ir.ticket
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Show what the record would say, without writing it
  secops.aws_ir.evidence_manifest:
    bucket: aws-ir-evidence-123456789012-us-east-1
    ticket: INC-123456
    stage_results:
      - "{{ preflight_result }}"
      - "{{ containment_result }}"
  check_mode: true
  register: plan

- name: Keep the plan on the controller (/tmp/cases/INC-123456/manifest.planned.json, report.planned.html, report.planned.md)
  ansible.builtin.copy:
    content: "{{ item.value }}"
    dest: "/tmp/cases/INC-123456/{{ item.key | regex_replace('^(.*)[.]([^.]+)$', '\\1.planned.\\2') }}"
    mode: "0644"
  loop: "{{ plan.contents | dict2items }}"
  loop_control:
    label: "{{ item.key }}"
  check_mode: false

- name: Record the response
  secops.aws_ir.evidence_manifest:
    bucket: aws-ir-evidence-123456789012-us-east-1
    ticket: INC-123456
    stage_results:
      - "{{ preflight_result }}"
      - "{{ containment_result }}"
    run:
      playbook: respond.yml
      status: complete
"""

RETURN = r"""
manifest:
  description:
    - The manifest as written (or as it would be written in check mode).
    - With O(journal_only), the current version, or null when the journal held nothing.
    - C(schemas/evidence-manifest-v1.json) has every field.
  returned: always
  type: dict
  sample:
    schema_version: 1
    ticket:
      raw: INC-123456
      normalized: INC-123456
    collection:
      name: secops.aws_ir
      version: 1.0.0
    region: us-east-1
    bucket: aws-ir-evidence-123456789012-us-east-1
    key: INC-123456/manifest.json
    created_at: '2026-11-29T20:15:09.310Z'
    updated_at: '2026-11-29T20:15:09.310Z'
    previous_version: null
    runs:
    - '...'
    actions:
    - '...'
    instances:
      i-0123456789abcdef0: '...'
  contains:
    schema_version:
      description: The manifest schema version (C(schemas/evidence-manifest-v1.json)).
      type: int
      sample: 1
    ticket:
      description: The ticket, C(raw) as given and C(normalized), the case key.
      type: dict
      sample: {raw: INC-123456, normalized: INC-123456}
    collection:
      description: C(name) and C(version) of the collection that wrote it.
      type: dict
      sample: {name: secops.aws_ir, version: 1.0.0}
    region:
      description: The Region of the response.
      type: str
      sample: us-east-1
    bucket:
      description: The evidence bucket.
      type: str
      sample: aws-ir-evidence-123456789012-us-east-1
    key:
      description: The manifest's own key.
      type: str
      sample: INC-123456/manifest.json
    created_at:
      description: When the first version was written, UTC, ISO 8601.
      type: str
      sample: "2026-11-29T20:15:09.310Z"
    updated_at:
      description: When this version was written, UTC, ISO 8601.
      type: str
      sample: "2026-11-29T20:15:09.310Z"
    previous_version:
      description: C(version_id) and C(sha256) of the version before this one, or null for the first.
      type: dict
      sample: null
    runs:
      description: Every run (actor, controller host, start and end, status, failed stage, check mode, evidence bucket as found).
      type: list
      elements: dict
      sample: [{actor: {arn: "arn:aws:sts::123456789012:assumed-role/IncidentResponder/alice", account: "123456789012"},
                controller: {host: responder-laptop}, started_at: "2026-11-29T20:15:01.123Z", ended_at: "2026-11-29T20:15:09.310Z",
                status: completed, failed_stage: null, check_mode: false}]
    actions:
      description: Every mutating AWS call of every run, in order (the shape of RV(actions)).
      type: list
      elements: dict
      sample: [{time: "2026-11-29T20:15:02.481Z", stage: containment, service: ec2, action: ModifyInstanceAttribute,
                target: i-0123456789abcdef0, instance_ids: [i-0123456789abcdef0], parameters: {InstanceId: i-0123456789abcdef0,
                DisableApiTermination: {Value: true}}, before: false, after: true, outcome: ok, error_code: null,
                request_id: 8c7a3e52-4f0b-4d7e-9b3a-1e2f3a4b5c6d}]
    instances:
      description:
        - Per instance id, C(action_indexes) (its actions' positions in C(actions)), C(preflight), C(state_before),
          C(artifacts), C(snapshots), C(outcomes) per stage and C(warnings).
      type: dict
      sample: {i-0123456789abcdef0: {action_indexes: [0, 1], artifacts: [], snapshots: [], warnings: []}}
    findings:
      description: The findings the response started from (M(secops.aws_ir.finding_evidence)), when there were any.
      type: list
      elements: dict
      sample: []
s3_uri:
  description: Where the manifest is.
  returned: always
  type: str
  sample: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/manifest.json
version_id:
  description: S3 C(VersionId) of the manifest version written, or of the current one when nothing was written.
  returned: always
  type: str
  sample: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
sha256:
  description: SHA-256 (hex) of the manifest bytes in S3.
  returned: always
  type: str
  sample: 0b5ad5d28d3f0c6f3b3a3f9d7b6c1e2a4d5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b
written:
  description:
    - Whether this call wrote (in check mode, would write) a new manifest version.
    - False when the runs added nothing; C(version_id) is then the current one.
  returned: always
  type: bool
  sample: true
previous_version:
  description: C(version_id) and C(sha256) of the version this one follows, or null for the first.
  returned: always
  type: dict
  sample: null
  contains:
    version_id:
      description: S3 C(VersionId) of the version before.
      type: str
      sample: Ui8X1CWnUqiVZ1xjbGxJkKqGy8m2FbYx
    sha256:
      description: SHA-256 (hex) of its bytes.
      type: str
      sample: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
object_lock:
  description: C(mode) and C(retain_until_date) of the version written, or null when the bucket has no Object Lock or nothing was written.
  returned: always
  type: dict
  sample: {mode: GOVERNANCE, retain_until_date: "2027-11-29T20:15:09.000Z"}
  contains:
    mode:
      description: C(GOVERNANCE) or C(COMPLIANCE).
      type: str
      sample: GOVERNANCE
    retain_until_date:
      description: When the retention ends, UTC, ISO 8601.
      type: str
      sample: "2027-11-29T20:15:09.000Z"
contents:
  description:
    - The text of each file written to S3 (or that would be written, in check mode) by its name, C(manifest.json)
      exactly as the version's bytes, and with O(report) C(report.html) and C(report.md), also when this call wrote
      nothing new (the current version and its report).
    - For local copies (M(ansible.builtin.copy) with C(content)); empty with O(journal_only).
  returned: always
  type: dict
  sample: {manifest.json: "{\n  \"actions\": [...]\n}\n", report.html: "<!DOCTYPE html>...", report.md: "# Incident INC-123456..."}
  contains:
    manifest.json:
      description: The manifest, UTF-8 text with a final newline.
      type: str
      sample: "{\n  \"actions\": [...]\n}\n"
    report.html:
      description: The case report, one self-contained HTML page.
      type: str
      sample: "<!DOCTYPE html>..."
    report.md:
      description: The case report in Markdown.
      type: str
      sample: "# Incident INC-123456..."
actions:
  description:
    - Every C(PutObject) made or planned (the manifest, then C(report.html) and C(report.md)).
    - The manifest does not list its own uploads; each version names the one before it instead.
  returned: always
  type: list
  elements: dict
  sample:
    - time: '2026-11-29T20:15:02.481Z'
      stage: record
      service: s3
      action: PutObject
      target: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/manifest.json
      instance_ids: []
      parameters:
        Bucket: aws-ir-evidence-123456789012-us-east-1
        Key: INC-123456/manifest.json
        IfNoneMatch: '*'
      before: null
      after:
        version_id: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
        sha256: 0b5ad5d28d3f0c6f3b3a3f9d7b6c1e2a4d5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b
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
      sample: record
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
      sample: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/manifest.json
    instance_ids:
      description: The target instances the call concerns; empty for a shared resource.
      type: list
      elements: str
      sample: []
    parameters:
      description: The parameters sent, each secret replaced by C(<redacted>).
      type: dict
      sample: {Bucket: aws-ir-evidence-123456789012-us-east-1, IfNoneMatch: '*', Key: INC-123456/manifest.json}
    before:
      description: What the call changes, as it was before; null when there was nothing.
      type: raw
      sample: null
    after:
      description: What the call changes, as it is after (for a create, what AWS made); null when nothing is left.
      type: raw
      sample: {sha256: 0b5ad5d28d3f0c6f3b3a3f9d7b6c1e2a4d5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b, version_id: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd}
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
lease:
  description:
    - With O(lease), the lease as written or planned (the keys of M(secops.aws_ir.evidence_lease)'s RV(secops.aws_ir.evidence_lease#module:lease));
      null in check mode when another run holds it.
  returned: when O(lease) is set
  type: dict
  sample: {run_id: 7d3c1f0e-2f7a-4a9e-9d57-0c3f5a1e2b44, playbook: respond.yml, state: held, ticket: INC-123456,
           actor: "arn:aws:sts::123456789012:assumed-role/IncidentResponder/alice", host: responder-laptop,
           started_at: "2026-11-29T20:15:01Z", expires_at: "2026-11-29T22:15:01Z"}
taken_over:
  description: With O(lease), the expired lease of another run this one took over, or null.
  returned: when O(lease) is set
  type: dict
  sample: null
waited_seconds:
  description: With O(lease), how long the module waited for another run's lease, in seconds.
  returned: when O(lease) is set
  type: float
  sample: 0.0
journal_uploaded:
  description: The journal files (left by earlier runs whose upload failed) uploaded as versions by this call, oldest first.
  returned: always
  type: list
  elements: str
  sample: [/home/alice/.local/share/secops.aws_ir/journal/INC-123456/20261129T201509310Z.json]
stage:
  description: The workflow stage, C(record).
  returned: always
  type: str
  sample: record
"""

import functools
import socket
import uuid


from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import manifest as model
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import signing
from ansible_collections.secops.aws_ir.plugins.module_utils.record import versions
from ansible_collections.secops.aws_ir.plugins.module_utils.actions import utc_now
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import s3_uri
from ansible_collections.secops.aws_ir.plugins.module_utils.record.case_report import REPORT_HTML
from ansible_collections.secops.aws_ir.plugins.module_utils.record.case_report import REPORT_MARKDOWN
from ansible_collections.secops.aws_ir.plugins.module_utils.record.case_report import render
from ansible_collections.secops.aws_ir.plugins.module_utils.record.case_report import report_key
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_RECORD
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_PREFLIGHT
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import validate_bucket_name
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.lease import Lease
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.lease import take_for_run
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.lease import timing_problem
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.owner import evidence_client
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import put_record
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import retention_days_problem
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import retention
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import DEFAULT_TICKET_PATTERN
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import normalize_ticket
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK.

# S3 user metadata that ties a report to the manifest version it was rendered from.
REPORT_SOURCE_METADATA = "manifest-version-id"
_CONTENT_TYPES = {REPORT_HTML: "text/html; charset=utf-8", REPORT_MARKDOWN: "text/markdown; charset=utf-8"}


def evidence_bucket(stage_results):
    """The bucket facts and warnings of the run's preflight, or None when no preflight result was given."""
    for result in stage_results:
        if result.get("stage") == STAGE_PREFLIGHT and result.get("bucket"):
            bucket = result["bucket"]
            return {"name": bucket["name"], "versioning": bucket["versioning"], "object_lock": bucket["object_lock"],
                    "default_retention": bucket.get("default_retention"), "encryption": bucket.get("encryption"),
                    "warnings": list(bucket.get("warnings", []))}
    return None


def run_record(module, now):
    run = module.params["run"]
    identity = module.caller_identity()
    record = {
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
    bucket = evidence_bucket(module.params["stage_results"])
    if bucket is not None:
        record["evidence_bucket"] = bucket
    return record


class Writer:
    """Where the records go: the evidence bucket (never in check mode); contents keeps the text of each, for local copies."""

    def __init__(self, module, client, bucket, ticket):
        self.module, self.client, self.bucket, self.ticket = module, client, bucket, ticket
        self.contents = {}
        self._lock = False  # not read yet

    def lock(self):
        """The retention of new objects (read once), or None without Object Lock."""
        if self._lock is False:
            params = self.module.params
            self._lock = retention(self.client, self.bucket, params["object_lock_mode"], params["object_lock_retention_days"])
            if self._lock is None:
                self.module.warn(f"evidence bucket {self.bucket!r} has no Object Lock: the manifest is written without a retention")
        return self._lock

    def put(self, key, body, content_type, metadata=None, condition=None):
        """Upload one record (planned only, in check mode); returns (version_id, sha256). condition: see store.write_condition."""
        return put_record(self.module.actions, self.client, self.bucket, key, body, content_type, self.lock(), metadata, condition)


def report_is_current(client, bucket, key, version_id):
    """Whether the report at key was rendered from manifest version version_id (HeadObject metadata)."""
    try:
        metadata = client.head_object(aws_retry=True, Bucket=bucket, Key=key).get("Metadata", {})
    except ClientError:
        return False
    return metadata.get(REPORT_SOURCE_METADATA) == version_id


def write_reports(writer, manifest, source, refresh_only):
    """Render the case report from the manifest and write it next to it; returns whether anything was written.

    refresh_only: write to S3 only the report files not already rendered from source's version.
    """
    if not writer.module.params["report"]:
        return False
    html_report, markdown = render(manifest, source)
    changed = False
    for name, text in ((REPORT_HTML, html_report), (REPORT_MARKDOWN, markdown)):
        body = text.encode("utf-8")
        key = report_key(writer.ticket, name)
        if not (refresh_only and report_is_current(writer.client, writer.bucket, key, source["version_id"])):
            writer.put(key, body, _CONTENT_TYPES[name], {REPORT_SOURCE_METADATA: source["version_id"] or "null"})
            changed = True
        writer.contents[name] = text
    return changed


def signer(module, key_id):
    """A function of a version's SHA-256 that gives the metadata signing it; the key is described at the first version
    written (a journal_only call with an empty journal asks KMS nothing)."""
    kms = module.client("kms")

    @functools.lru_cache(maxsize=None)
    def key():
        return signing.signing_key(kms, key_id)

    def sign(digest_hex):
        return signing.sign(kms, key(), digest_hex)
    return sign


def do(module):
    params = module.params
    raw = validate_ticket(params["ticket"], params["ticket_pattern"])
    ticket = {"raw": raw, "normalized": normalize_ticket(raw)}
    bucket = validate_bucket_name(params["bucket"])
    writer = Writer(module, evidence_client(module, bucket), bucket, ticket["normalized"])
    sign = signer(module, params["signing_key_id"]) if params["signing_key_id"] else None
    target = versions.Target(writer, ticket, module.region, params["journal_dir"], sign)
    result = {"s3_uri": s3_uri(bucket, target.key)}
    if params["lease"]:
        # The lease first: no upload (of the journal or of this run) while another run of the ticket holds it.
        result.update(take_for_run(module, Lease(module.actions, writer.client, bucket, ticket["normalized"]), **params["lease"]))
    now = utc_now()
    uploaded = [] if module.check_mode else versions.upload_journal(target, now)
    result["journal_uploaded"] = uploaded
    if params["journal_only"]:
        # The current version is read only when the journal held something (one GetObject less per run otherwise).
        current, _body, version, _etag = target.read() if uploaded else (None, None, None, None)
        module.exit_json(changed=bool(uploaded), written=False, manifest=current, version_id=version and version["version_id"],
                         sha256=version and version["sha256"], previous_version=None, object_lock=None, contents={}, **result)

    added = versions.add_version(target, params["stage_results"], run_record(module, now), now)
    source = dict(added["version"] or {"version_id": None, "sha256": None}, s3_uri=result["s3_uri"])
    writer.contents["manifest.json"] = added["body"].decode("utf-8")
    changed = added["written"] or bool(uploaded)
    changed = write_reports(writer, added["manifest"], source, refresh_only=not added["written"]) or changed
    lock = writer.lock() if added["written"] else None
    module.exit_json(changed=changed, written=added["written"], manifest=added["manifest"], version_id=source["version_id"], sha256=source["sha256"],
                     previous_version=added["previous_version"], object_lock=lock and {k: lock[k] for k in ("mode", "retain_until_date")},
                     contents=writer.contents, **result)


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        bucket_owner=dict(type="str"),
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
        report=dict(type="bool", default=True),
        journal_dir=dict(type="path"),
        journal_only=dict(type="bool", default=False),
        signing_key_id=dict(type="str"),
        lease=dict(type="dict", options=dict(
            playbook=dict(type="str", default="respond.yml"),
            duration=dict(type="int", default=7200),
            wait_timeout=dict(type="int", default=120),
        )),
    )
    module = AwsIrModule(stage=STAGE_RECORD, argument_spec=argument_spec, supports_check_mode=True)
    problem = retention_days_problem(module.params["object_lock_retention_days"])
    if module.params["lease"] and not problem:
        problem = timing_problem(module.params["lease"]) or (None if module.params["journal_only"] else
                                                             "lease is taken only with journal_only=true, the first step of a run")
    if problem:
        module.fail_json(msg=problem)
    model.require_jsonschema(module)
    module.run(do, "the evidence manifest could not be written")


if __name__ == "__main__":
    main()
