# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Adding one version to a ticket's manifest: journaled first, written only on top of the version it was merged into.

Each write is conditional (If-None-Match: * for the first version, If-Match: <ETag> of the version read
for every later one), so two writers can never both append to the same version and fork the chain: the
one that loses re-reads, merges its results into what the other wrote and tries again. Before each
upload the version goes to the journal (journal.py); it leaves the journal only once S3 holds it.
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.record import journal
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import manifest as model
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import s3_uri
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import CONDITION_FAILED
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import read_for_update
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import sha256_hex
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import write_condition
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import refuse_other_case

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK.

# A lost race costs one read and one write; more than this many in a row means something keeps rewriting the manifest.
MAX_ATTEMPTS = 5


class UploadFailed(AwsIrError):
    """A manifest version S3 did not accept; the message names the journal file that keeps it."""


class Target:
    """Where a ticket's versions go: writer (evidence_manifest.Writer), the manifest's key, its identity, the journal folder,
    and sign, a function of a version's SHA-256 that gives the S3 metadata signing it (signing.sign), or None."""

    def __init__(self, writer, ticket, region, journal_dir, sign=None):
        self.writer, self.ticket, self.region, self.journal_dir, self.sign = writer, ticket, region, journal_dir, sign
        self.key = model.manifest_key(ticket["normalized"])

    def metadata(self, body):
        """The signature metadata of a version (none without a signing key, or in check mode, where nothing is written)."""
        if self.sign is None or self.writer.module.check_mode:
            return None
        return self.sign(sha256_hex(body))

    def read(self):
        """(manifest or None, body, {"version_id", "sha256"} or None, ETag or None) of the current version."""
        body, version, etag = read_for_update(self.writer.client, self.writer.bucket, self.key)
        return (json.loads(body) if body is not None else None), body, version, etag


def add_version(target, stage_results, run, now):
    """Merge stage_results and the run record into the current version and write the result as the next one.

    Returns {"manifest", "body", "version" ({"version_id", "sha256"}), "previous_version", "written"};
    written is False when the results add nothing (the current version is returned) or the run is already recorded.
    Raises UploadFailed (naming the journal file) when S3 refuses the upload, AwsIrError after MAX_ATTEMPTS lost races.
    """
    journal_file = None
    for _attempt in range(MAX_ATTEMPTS):
        current, current_body, current_version, etag = target.read()
        merged = _next_version(target, current, current_version, stage_results, run, now)
        if merged is None:
            if journal_file:
                journal.discard(journal_file)
            return {"manifest": current, "body": current_body, "version": current_version, "previous_version": current_version, "written": False}
        body = model.serialize(merged)
        target.writer.module.partial["manifest"] = merged  # a failed upload still hands the record to the job's output
        if not target.writer.module.check_mode:
            journal_file = journal.keep(target.journal_dir, target.writer.bucket, target.ticket["normalized"],
                                        {"bucket": target.writer.bucket, "key": target.key, "stage_results": stage_results, "run": run,
                                         "manifest": merged})
        try:
            version_id, digest = target.writer.put(target.key, body, "application/json", metadata=target.metadata(body),
                                                   condition=write_condition(etag))
        except is_boto3_error_code(CONDITION_FAILED):
            continue  # another run wrote first: read its version and merge into it
        except (ClientError, BotoCoreError) as e:
            raise UploadFailed(f"the evidence manifest version of run {run['run_id']} could not be uploaded to "
                               f"s3://{target.writer.bucket}/{target.key} ({_reason(e)}); it is kept in the journal file {journal_file}, "
                               "which the next run of this ticket uploads before its first change") from None
        if journal_file:
            journal.discard(journal_file)
        return {"manifest": merged, "body": body, "version": {"version_id": version_id, "sha256": digest},
                "previous_version": current_version, "written": True}
    raise AwsIrError(f"the evidence manifest s3://{target.writer.bucket}/{target.key} changed {MAX_ATTEMPTS} times while run "
                     f"{run['run_id']} was writing it; its version is kept in the journal file {journal_file}")


def _next_version(target, current, current_version, stage_results, run, now):
    """The version to write on top of current, or None when it would record nothing new (or this run is already in it).

    TicketError when current is the manifest of another raw ticket with the same case key (one case, one ticket).
    """
    refuse_other_case(target.ticket["raw"], current and current["ticket"]["raw"], s3_uri(target.writer.bucket, target.key))
    if current is not None and any(r.get("run_id") == run["run_id"] for r in current["runs"]):
        return None  # an upload whose answer was lost reached S3 after all
    base = current or model.new_manifest(target.ticket, target.region, target.writer.bucket, now)
    merged = model.merge(base, stage_results)
    if current is not None and not model.says_something_new(current, merged) and not run.get("uploaded_from_journal"):
        return None
    merged["runs"].append(run)
    merged["updated_at"] = now
    merged["previous_version"] = current_version
    model.validate(merged)
    return merged


def upload_journal(target, now):
    """Upload, oldest first, the versions a failed run of this ticket left in the journal; returns the files uploaded (list of str)."""
    uploaded = []
    for path, entry in journal.pending(target.journal_dir, target.writer.bucket, target.ticket["normalized"]):
        run = dict(entry["run"], uploaded_from_journal={"file": path, "uploaded_at": now})
        result = add_version(target, entry["stage_results"], run, now)
        journal.discard(path)
        if result["written"]:
            uploaded.append(path)
    return uploaded


def _reason(error):
    if isinstance(error, ClientError):
        return f"{error.response.get('Error', {}).get('Code')}: {error.response.get('Error', {}).get('Message')}"
    return str(error)
