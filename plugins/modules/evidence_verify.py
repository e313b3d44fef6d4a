#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: evidence_verify
version_added: 1.0.0
short_description: Verify that the evidence of an incident is still what its manifest recorded
description:
  - Read-only. Checks the chain of custody of C(s3://<bucket>/<normalised ticket>/manifest.json)
    and everything it recorded, and fails, listing each discrepancy and naming the object,
    when anything was changed or is missing.
  - B(Manifest history.) Reads every version of the manifest (C(ListObjectVersions), C(GetObject)
    with C(ChecksumMode=ENABLED)). Each version must carry the SHA-256 checksum that
    M(secops.aws_ir.evidence_manifest) always sends, match it, follow the collection's JSON Schema
    and name its own location; starting at the newest, each must name the version before it with
    that version's SHA-256 (the hash chain) and every version must be in that chain; and each must
    keep everything the version before it recorded (actions, runs, states before the response,
    artifacts, snapshots, outcomes, warnings), adding one run. A delete marker on the manifest is a
    discrepancy.
  - B(Artifacts.) Every artifact any version recorded is read again at its recorded C(VersionId);
    size and SHA-256 must match. Its key must still show that version (not a newer one, not a
    delete marker).
  - B(Snapshots.) Every snapshot any version recorded must still exist (C(DescribeSnapshots)), of
    the same volume, not in the C(error) state, with every tag it was recorded with; so must every
    copy recorded under a snapshot (C(copies)), looked up in its own Region with the same credentials.
  - Verification does not rely on Object Lock; a GOVERNANCE retention can be bypassed and a bucket
    may have none; the retention of each manifest version is reported, not trusted.
  - The newest version can only be checked against what came before it. Give
    O(manifest_version_id) and O(manifest_sha256), as respond.yml printed them at the end of the
    response, to check that version is still there with those bytes.
  - B(Unrecorded evidence.) Every object version under C(<ticket>/) (but the manifest, the reports and the lease) and
    every snapshot of the account tagged C(IncidentTicket=<ticket>) must be recorded by some manifest version; one that
    is not (for example because the newest version was deleted) is a discrepancy.
  - B(Signatures.) With O(signing_key_id), every version's signature is checked (KMS C(Verify)); a version not signed
    by that key is forged. With O(manifest_version_id) / O(manifest_sha256), the versions after the noted one are
    listed in the verdict, each with its run, after the same checks.
  - AWS APIs called, all read-only; S3 C(ListObjectVersions), C(GetObject); EC2 C(DescribeSnapshots) (by id and by tag);
    KMS C(DescribeKey), C(Verify) (with O(signing_key_id)); STS C(GetCallerIdentity). Every S3 request names the caller's account as C(ExpectedBucketOwner).
author:
  - secops.aws_ir developers (@secops)
options:
  bucket:
    description: The evidence bucket. Defaults to C(aws-ir-evidence-<account id>-<region>).
    type: str
  manifest_version_id:
    description: The S3 C(VersionId) of a manifest version noted outside S3 (for example the job output of the response).
    type: str
  manifest_sha256:
    description: The SHA-256 (hex) of that manifest version.
    type: str
  forensic_role_arn:
    description:
      - A role of the forensic account to check, with its credentials, what the manifest records there
        (C(docs/forensic-copies.md)). Each forensic snapshot copy must exist, be completed, owned by that
        account, encrypted with the recorded key, tagged and locked as recorded (C(DescribeSnapshots),
        C(DescribeLockedSnapshots)); each artifact copy must hold the recorded SHA-256 at its version.
      - The copies of the manifest's and reports' versions that later versions record (C(manifest_copies)) are checked the
        same way, and a copy of a manifest version must hold that version's SHA-256. A version whose copy no version records
        yet (the newest, always) is looked up in the forensic bucket by the source its copy names; the verdict says which
        versions have no copy yet.
      - Every S3 request on a forensic bucket names the role's account as C(ExpectedBucketOwner).
      - Without it, recorded forensic copies are a discrepancy (they cannot be checked).
    type: str
  member_role:
    description:
      - For a case whose instances are in several accounts and Regions (C(respond.yml) with C(member_role),
        docs/accounts-and-regions.md), the member role of each other account, as a template in which V({account_id}) stands
        for the account (V(arn:aws:iam::{account_id}:role/aws-ir-member-responder)); assumed (STS C(AssumeRole), checked with
        C(GetCallerIdentity)) once per account to look up its snapshots (C(DescribeSnapshots) in the instance's Region) and
        read its artifacts again (in the evidence bucket of that account and Region).
      - Omitted, each snapshot and artifact recorded in another account is a discrepancy saying it cannot be checked from
        this account, never that it is gone.
    type: str
  forensic_evidence_bucket:
    description:
      - The forensic account's evidence bucket (C(copy_to.evidence_bucket) of the response), where the copies of manifest
        versions that no version records yet are looked for, with O(forensic_role_arn).
      - Omitted, the buckets the manifest records forensic copies in; give it when no version records one yet (a first run
        that stopped before its artifacts were copied).
    type: str
  signing_key_id:
    description:
      - The asymmetric KMS key the manifest versions were signed with
        (M(secops.aws_ir.evidence_manifest) O(secops.aws_ir.evidence_manifest#module:signing_key_id)).
      - Every version must carry a signature by that key over its SHA-256 that KMS C(Verify) accepts; any other version
        (unsigned, signed with another key, or changed after signing) is reported as forged.
      - Omitted, the verdict says the chain proves the order of the versions, not who wrote them.
    type: str
extends_documentation_fragment:
  - secops.aws_ir.ticket
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode; it never changes anything.
  - Re-reading artifacts downloads every one of them (memory images included) once.
"""

EXAMPLES = r"""
- name: Verify the evidence of INC-123456
  secops.aws_ir.evidence_verify:
    ticket: INC-123456
  register: verify_result

- name: Verify it and check the manifest version noted in the job output is still there
  secops.aws_ir.evidence_verify:
    ticket: INC-123456
    bucket: aws-ir-evidence-123456789012-us-east-1
    manifest_version_id: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
    manifest_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
"""

RETURN = r"""
intact:
  description: Whether nothing was found changed or missing.
  returned: always
  type: bool
  sample: true
verdict:
  description: One sentence; on failure it is also the message, followed by the discrepancies.
  returned: always
  type: str
  sample: >-
    evidence of INC-123456 is intact: 2 manifest versions in an unbroken hash chain, 1 artifact re-read (size and
    SHA-256 match), 2 snapshots present with their tags; the noted manifest_version_id and manifest_sha256 match
discrepancies:
  description: Each thing found changed or missing, in the order checked.
  returned: always
  type: list
  elements: dict
  sample: []
  contains:
    object:
      description: What is at fault, an C(s3://) URI (with C(version <VersionId>) when one version is meant) or a snapshot id.
      type: str
      sample: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/volatile/.../stdout version 3sL4kqtJ
    problem:
      description: What is wrong with it.
      type: str
      sample: "changed: now 12 bytes with SHA-256 ..., recorded 11262 bytes with SHA-256 ..."
s3_uri:
  description: The manifest verified.
  returned: always
  type: str
  sample: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/manifest.json
manifest_versions:
  description: Every version of the manifest, newest first as S3 lists them.
  returned: always
  type: list
  elements: dict
  sample:
    - version_id: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
      sha256: 0b5ad5d28d3f0c6f3b3a3f9d7b6c1e2a4d5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b
      last_modified: '2026-11-29T20:15:09+00:00'
      in_chain: true
      object_lock:
        mode: GOVERNANCE
        retain_until_date: '2027-11-29T20:15:09+00:00'
  contains:
    version_id:
      description: S3 C(VersionId).
      type: str
      sample: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
    sha256:
      description: SHA-256 (hex) of its bytes.
      type: str
      sample: 0b5ad5d28d3f0c6f3b3a3f9d7b6c1e2a4d5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b
    last_modified:
      description: When S3 stored it (ISO 8601).
      type: str
      sample: '2026-11-29T20:15:09+00:00'
    in_chain:
      description: Whether it is in the hash chain that ends at the newest version.
      type: bool
      sample: true
    object_lock:
      description: C(mode) and C(retain_until_date) of its retention, or null (reported, not trusted).
      type: dict
      sample: {"mode": "GOVERNANCE", "retain_until_date": "2027-11-29T20:15:09+00:00"}
      contains:
        mode:
          description: C(GOVERNANCE) or C(COMPLIANCE).
          type: str
          sample: GOVERNANCE
        retain_until_date:
          description: When the retention ends (ISO 8601).
          type: str
          sample: "2027-11-29T20:15:09+00:00"
    forensic_copy:
      description:
        - Where its copy in the forensic account is, when the manifest records a forensic evidence bucket (else null).
        - C(status) C(recorded) (a later version records it, C(manifest_copies)), C(found, not yet recorded) (looked up
          with O(forensic_role_arn) by its source metadata; its SHA-256 is this version's), C(no copy yet), or without
          O(forensic_role_arn) C(not recorded, not looked for without forensic_role_arn); C(s3_uri) and
          C(version_id) of the copy, or null.
      type: dict
      sample: {"status": "recorded", "s3_uri": "s3://aws-ir-evidence-111122223333-us-east-1/INC-123456/manifest.json",
               "version_id": "Xb4kqtJlcpXroDTDmjVBH40Nrjfkd"}
      contains:
        status:
          description: C(recorded), C(found, not yet recorded), C(no copy yet) or C(not recorded, not looked for without forensic_role_arn).
          type: str
          sample: recorded
        s3_uri:
          description: The copy's C(s3://) URI in the forensic account's evidence bucket, or null.
          type: str
          sample: s3://aws-ir-evidence-111122223333-us-east-1/INC-123456/manifest.json
        version_id:
          description: S3 C(VersionId) of the copy, or null.
          type: str
          sample: Xb4kqtJlcpXroDTDmjVBH40Nrjfkd
signed_by:
  description: The ARN of the signing key every version was checked against, or null without O(signing_key_id).
  returned: always
  type: str
  sample: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
artifacts_checked:
  description: How many artifacts were read again.
  returned: always
  type: int
  sample: 1
snapshots_checked:
  description: How many snapshots were looked up.
  returned: always
  type: int
  sample: 2
actions:
  description: Always empty; verification changes nothing.
  returned: always
  type: list
  elements: dict
  sample: []
stage:
  description: The workflow stage, C(verify).
  returned: always
  type: str
  sample: verify"""

import functools
import re


from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot import forensic_account
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import custody
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import forensic_custody
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import manifest as model
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import manifest_copies
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import places
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import signing
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import unrecorded
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import s3_uri
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_VERIFY
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import default_bucket_name
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import validate_bucket_name
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.owner import evidence_client
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.owner import expect_owner
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import DEFAULT_TICKET_PATTERN
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import normalize_ticket
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _plural(count, word, plural=None):
    return f"{count} {word if count == 1 else plural or word + 's'}"


def verdict(ticket, findings, chain, artifacts, snapshots, pinned=(), later=(), key=None):
    """The verdict: one line, a line per discrepancy or per version after the pin, and without a signing key the line saying
    what the chain cannot prove. pinned names what the responder noted and was checked, later the versions after it."""
    unsigned = "" if key else f"\nNOT authenticated: {signing.WITHOUT_KEY}"
    if findings:
        lines = [f"- {f['object']}: {f['problem']}" for f in findings]
        return f"evidence of {ticket} is NOT intact: {_plural(len(findings), 'discrepancy', 'discrepancies')}\n" + "\n".join(lines) + unsigned
    noted = "; no noted manifest version or SHA-256 was given to check"
    if pinned:
        noted = (f"; the noted {' and '.join(pinned)} match; {_plural(len(later), 'version')} written after it"
                 + "".join(f"\n- later version {v['version_id']} (SHA-256 {v['sha256']}, {v['last_modified']}): run {_last_run(v)}" for v in later))
    signed = f", each signed by {key['key_arn']}" if key else ""
    return (f"evidence of {ticket} is intact: {_plural(len(chain), 'manifest version')} in an unbroken hash chain{signed}, "
            f"{_plural(len(artifacts), 'artifact')} re-read (size and SHA-256 match), "
            f"{_plural(len(snapshots), 'snapshot')} present with their tags" + noted + unsigned)


def _last_run(version):
    run = (version["manifest"].get("runs") or [{}])[-1]
    return f"{run.get('run_id')} ({run.get('playbook')}, {run.get('actor', {}).get('arn')})"


def check_manifest(module, s3, bucket, key, signing_key=None):
    """(versions, chain, findings) of the manifest's history; signing_key (signing.signing_key) checks every version's signature."""
    uri = s3_uri(bucket, key)
    versions, markers = custody.read_manifest_versions(s3, bucket, key)
    if not versions:
        raise AwsIrError(f"no manifest at {uri}: nothing to verify (is the ticket or the bucket wrong?)")
    findings = custody.check_delete_markers(markers, uri)
    for version in versions:
        findings += custody.check_version(version, uri)
    chain, chain_findings = custody.walk_chain(versions, uri)
    findings += chain_findings + custody.check_history(chain, uri)
    findings += custody.check_pin(versions, uri, module.params["manifest_version_id"], module.params["manifest_sha256"])
    if signing_key:
        kms = module.client("kms")
        findings += custody.check_signatures(lambda v: signing.signature_problem(kms, signing_key, v["metadata"], v["sha256"]), versions, uri)
    return versions, chain, findings


def forensic_clients(module, buckets):
    """EC2 (per Region) and S3 clients of the forensic account's role (forensic_role_arn), or None without one.

    Every S3 request on buckets (the forensic evidence buckets the manifest names) names the role's account as their owner.
    """
    role_arn = module.params["forensic_role_arn"]
    if not role_arn:
        return None
    credentials = forensic_account.assume_role(module.client("sts"), role_arn, module.params["ticket"])
    s3 = module.client("s3", **credentials)
    for bucket in buckets:
        expect_owner(s3, bucket, role_arn.split(":")[4])
    return {"ec2": lambda region: module.client("ec2", region=region, **credentials), "s3": s3}


def check_record_copies(clients, versions, copies, manifest_uri, buckets):
    """({version_id: where its forensic copy is}, findings) of the manifest versions' copies (manifest_copies.locate)."""
    findings = manifest_copies.check_sources(copies, versions, manifest_uri)
    find = None
    if clients is not None and buckets:
        find = functools.partial(manifest_copies.unrecorded_copy, clients["s3"], buckets, manifest_uri, manifest_uri.split("/", 3)[3])
    where, found = manifest_copies.locate(versions, copies, manifest_uri, find)
    return where, findings + found


def inputs(module):
    """(normalised ticket, bucket, signing key or None), checked before the first read."""
    params = module.params
    ticket = normalize_ticket(validate_ticket(params["ticket"], params["ticket_pattern"]))
    if params["manifest_sha256"] and not _SHA256.match(params["manifest_sha256"]):
        raise AwsIrError(f"manifest_sha256 {params['manifest_sha256']!r} is not a SHA-256 in hex (64 characters 0-9, a-f)")
    bucket = params["bucket"] and validate_bucket_name(params["bucket"])
    signing_key = params["signing_key_id"] and signing.signing_key(module.client("kms"), params["signing_key_id"])
    if not bucket:
        bucket = default_bucket_name(module.caller_identity()["Account"], module.region)
    return ticket, bucket, signing_key


def check_artifact(module, reach, s3, bucket, artifact):
    """custody.check_artifact with the client of the artifact's account: the case's own for its evidence bucket, the member
    role's for the evidence bucket of another account (a multi-account case's volatile data)."""
    if artifact["bucket"] == bucket or not artifact.get("account_id"):
        return custody.check_artifact(s3, artifact)
    try:
        return custody.check_artifact(module.client("s3", **reach.options(artifact["account_id"])), artifact)
    except places.Unreachable as e:
        return [custody.finding(custody.versioned(artifact["s3_uri"], artifact.get("version_id")), f"cannot be checked: {e}")]


def version_rows(versions, chain, where):
    """One row per manifest version: id, SHA-256, whether the chain reaches it, its lock and forensic copy (where: None without copies)."""
    reached = {v["version_id"] for v in chain}
    return [{"version_id": v["version_id"], "sha256": v["sha256"], "last_modified": v["last_modified"], "in_chain": v["version_id"] in reached,
             "object_lock": v["object_lock"], "forensic_copy": where[v["version_id"]] if where is not None else None} for v in versions]


def do(module):
    params = module.params
    ticket, bucket, signing_key = inputs(module)
    key = model.manifest_key(ticket)
    s3 = evidence_client(module, bucket)

    versions, chain, findings = check_manifest(module, s3, bucket, key, signing_key)
    artifacts, snapshots, copies, copied_artifacts = forensic_custody.split(versions, *custody.recorded_evidence(versions))
    record_copies = manifest_copies.recorded(versions)
    forensic_buckets = {c["bucket"] for c in copied_artifacts + record_copies} | {params["forensic_evidence_bucket"]} - {None, ""}
    clients = forensic_clients(module, forensic_buckets)
    findings += forensic_custody.check_forensic(clients, copies, copied_artifacts, record_copies)
    where, copy_findings = check_record_copies(clients, versions, record_copies, s3_uri(bucket, key), forensic_buckets)
    findings += copy_findings
    reach = places.MemberReach(module, params["member_role"])
    for artifact in artifacts:
        findings += check_artifact(module, reach, s3, bucket, artifact)
    # Snapshots are in the Region (and account) the manifest names (the instances'), copies in their own.
    findings += custody.check_snapshots(lambda region, account_id: module.client("ec2", region=region or module.region, **reach.options(account_id)),
                                        snapshots)
    findings += unrecorded.unrecorded_objects(s3, bucket, ticket, artifacts)
    findings += unrecorded.unrecorded_snapshots(module.client("ec2"), ticket, snapshots)

    where = where if forensic_buckets else None
    pins = [name for name in ("manifest_version_id", "manifest_sha256") if params[name]]
    result = {
        "intact": not findings,
        "verdict": verdict(params["ticket"], findings, chain, artifacts, snapshots, pins,
                           custody.after_pin(chain, params["manifest_version_id"], params["manifest_sha256"]), signing_key)
        + "".join("\n" + line for line in (manifest_copies.summary(where) if where is not None else [])),
        "signed_by": signing_key and signing_key["key_arn"],
        "discrepancies": findings,
        "s3_uri": s3_uri(bucket, key),
        "manifest_versions": version_rows(versions, chain, where),
        "artifacts_checked": len(artifacts),
        "snapshots_checked": len(snapshots),
    }
    if findings:
        module.fail_json(msg=result["verdict"], **result)
    module.exit_json(changed=False, **result)


def main():
    argument_spec = dict(
        ticket=dict(type="str", required=True),
        ticket_pattern=dict(type="str", default=DEFAULT_TICKET_PATTERN),
        bucket=dict(type="str"),
        manifest_version_id=dict(type="str"),
        manifest_sha256=dict(type="str"),
        forensic_role_arn=dict(type="str"),
        forensic_evidence_bucket=dict(type="str"),
        signing_key_id=dict(type="str"),
        member_role=dict(type="str"),
    )
    module = AwsIrModule(stage=STAGE_VERIFY, argument_spec=argument_spec, supports_check_mode=True)
    model.require_jsonschema(module)
    module.run(do, "the evidence could not be read")


if __name__ == "__main__":
    main()
