# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Telling the finding's service what the response did: Security Hub's workflow status and note.

Security Hub: BatchUpdateFindings sets Workflow.Status and a Note (at most 512
characters) on findings named by Id and ProductArn, 100 per call (Security Hub
API Reference, BatchUpdateFindings). GuardDuty's API has no workflow status: its
finding feedback (UpdateFindingsFeedback, USEFUL / NOT_USEFUL) judges the
detection, and ArchiveFindings hides the finding from the default view; neither
is the response's to decide, so a GuardDuty finding is left as it is
(docs/findings.md). A finding already in the status with the same note is not
updated again (GetFindings first).
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import SOURCE_SECURITYHUB
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import chunks
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

NOTE_MAX = 512
UPDATED_BY = "secops.aws_ir"
# BatchUpdateFindings takes at most 100 finding identifiers; GetFindings' Id filter is given as many values.
_BATCH = 100
GUARDDUTY_LEFT = ("GuardDuty's API has no workflow status (feedback and archiving are the analyst's judgement): "
                  "the finding is left as it is")


def current(client, findings):
    """{Id: (Workflow.Status, Note.Text)} of the Security Hub findings as Security Hub holds them now."""
    state = {}
    for batch in chunks([f["id"] for f in findings], _BATCH):
        filters = {"Id": [{"Value": i, "Comparison": "EQUALS"} for i in batch]}
        for finding in paginate(client, "get_findings", Filters=filters).get("Findings", []):
            state[finding["Id"]] = ((finding.get("Workflow") or {}).get("Status"), (finding.get("Note") or {}).get("Text"))
    return state


def update(log, client, findings, status, note):
    """Set status and note on the Security Hub findings not already so; returns {"updated", "unchanged", "unprocessed", "left"}.

    findings: finding_info summaries; those of other sources go to "left" with the reason.
    """
    ours = [f for f in findings if f["source"] == SOURCE_SECURITYHUB]
    result = {"updated": [], "unchanged": [], "unprocessed": [],
              "left": [{"source": f["source"], "id": f["id"], "reason": GUARDDUTY_LEFT} for f in findings if f["source"] != SOURCE_SECURITYHUB]}
    if not ours:
        return result
    now = current(client, ours)
    result["unchanged"] = [f["id"] for f in ours if now.get(f["id"]) == (status, note)]
    pending = [f for f in ours if now.get(f["id"]) != (status, note)]
    for batch in chunks(pending, _BATCH):
        updated, unprocessed = _update_batch(log, client, batch, now, status, note)
        result["updated"] += updated
        result["unprocessed"] += unprocessed
    return result


def _update_batch(log, client, batch, now, status, note):
    """One BatchUpdateFindings; (ids updated, [{"id", "error_code", "error_message"}] of those Security Hub did not process)."""
    identifiers = [{"Id": f["id"], "ProductArn": f["product_arn"]} for f in batch]
    parameters = {"FindingIdentifiers": identifiers, "Workflow": {"Status": status}, "Note": {"Text": note, "UpdatedBy": UPDATED_BY}}
    response = log.call(client, "securityhub", "BatchUpdateFindings", ", ".join(f["id"] for f in batch), parameters,
                        instance_ids=[i["instance_id"] for f in batch for i in f["instances"]],
                        before={f["id"]: (now.get(f["id"]) or (None, None))[0] for f in batch}, after=status)
    failed = {u["FindingIdentifier"]["Id"]: u for u in (response or {}).get("UnprocessedFindings", [])}
    return ([f["id"] for f in batch if f["id"] not in failed],
            [{"id": i, "error_code": u.get("ErrorCode"), "error_message": u.get("ErrorMessage")} for i, u in failed.items()])


def note_text(ticket, outcome, manifest):
    """The note: the ticket, the outcome, and the manifest's S3 URI, version and SHA-256 (cut to NOTE_MAX characters)."""
    text = f"{UPDATED_BY} {ticket}: {outcome}."
    if manifest:
        text += f" Evidence manifest {manifest['s3_uri']} version {manifest['version_id']} SHA-256 {manifest['sha256']}"
    return text[:NOTE_MAX]
