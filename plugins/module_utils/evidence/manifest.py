# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The evidence manifest: one JSON document per ticket that records the whole response.

``s3://<bucket>/<normalised ticket>/manifest.json``. Each run merges the results
of its stages into it: actions are appended, never rewritten; the state of an
instance before the response is the one first recorded (a re-run sees the
quarantined state, which must not replace the original); artifacts and snapshots
are added by identity. Each new S3 version names the version before it and its
SHA-256, so the versions form a chain an auditor can walk; ``follows`` checks
that one version keeps everything the one before it recorded.

Stage results are redacted (actions.redact) as they are merged, so no module can
bring a presigned URL or a credential into the manifest.
"""

import copy
import importlib
import importlib.util
import json

# jsonschema is imported when a manifest is first validated, not with this file: incident_preflight and
# the other modules that only read a manifest's key or name would pay about 0.1 s of CPU each for it.
HAS_JSONSCHEMA = importlib.util.find_spec("jsonschema") is not None

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import redact
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AWS_IR_COLLECTION_NAME
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AWS_IR_COLLECTION_VERSION
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_CONTAINMENT
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_PREFLIGHT
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_RELEASE
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest_schema import SCHEMA
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest_schema import SCHEMA_VERSION

MANIFEST_NAME = "manifest.json"
# Fields that change on every write without saying anything new about the evidence.
_BOOKKEEPING = ("runs", "updated_at", "previous_version")
# The forensic copies of the record's own earlier versions (evidence_replicate's manifest_copies). They alone do not call
# for a new version: that version's copy would be recorded by the next one, and so on without end.
MANIFEST_COPIES = "manifest_copies"
# What identifies a manifest wherever it is read; no later version may change them.
_IDENTITY = ("schema_version", "ticket", "region", "bucket", "key", "created_at")
# Fields of a recorded snapshot (or copy) a later version may change: its progress (a forensic copy's end time
# and lock included), and lists that only grow.
_SNAPSHOT_PROGRESS = ("state", "progress", "end_time", "lock")
_SNAPSHOT_GROWING = ("shared_with",)
# The stage outcome (stage, status) that ends another stage's (see _supersede): containment.STATUS_ISOLATED, release.STATUS_RELEASED.
_SUPERSEDES = {(STAGE_RELEASE, "released"): STAGE_CONTAINMENT, (STAGE_CONTAINMENT, "isolated"): STAGE_RELEASE}
SUPERSEDED = "superseded"
_UNCHANGED_AFTER_RELEASED = ("released", "unchanged")
# Per-instance lists whose entries, once recorded, stay.
_INSTANCE_GROWING = ("warnings", "not_captured")


def require_jsonschema(module):
    """Fail the module, before any call, where jsonschema (which every manifest is validated with) is missing."""
    if not HAS_JSONSCHEMA:
        module.fail_json(msg=missing_required_lib("jsonschema"))


class ManifestError(AwsIrError):
    """A manifest that does not follow the schema; nothing is written."""


def manifest_key(ticket):
    """S3 key of a ticket's manifest (ticket: the normalised ticket)."""
    return f"{ticket}/{MANIFEST_NAME}"


def new_manifest(ticket, region, bucket, now):
    """An empty manifest. ticket: {"raw", "normalized"}; now: ISO 8601 UTC time."""
    return {
        "schema_version": SCHEMA_VERSION,
        "ticket": dict(ticket),
        "collection": {"name": AWS_IR_COLLECTION_NAME, "version": AWS_IR_COLLECTION_VERSION},
        "region": region,
        "bucket": bucket,
        "key": manifest_key(ticket["normalized"]),
        "created_at": now,
        "updated_at": now,
        "previous_version": None,
        "runs": [],
        "actions": [],
        "instances": {},
    }


def _instance(manifest, instance_id):
    return manifest["instances"].setdefault(instance_id, {
        "action_indexes": [], "preflight": None, "state_before": None, "artifacts": [], "snapshots": [], "outcome": {}, "warnings": [],
    })


def action_indexes(manifest, instance_id):
    """Positions in manifest["actions"] of the calls that concern instance_id (list of int)."""
    return [n for n, action in enumerate(manifest["actions"]) if instance_id in action["instance_ids"]]


def _merge_instance(record, stage, entry):
    if stage == STAGE_PREFLIGHT:
        if record["preflight"] is None:
            record["preflight"] = {k: v for k, v in entry.items() if k != "instance_id"}
        return
    if record["state_before"] is None and entry.get("state_before") is not None:
        record["state_before"] = entry["state_before"]
    _merge_evidence(record, entry)
    if entry.get("outcome") is not None:
        _merge_outcome(record["outcome"], stage, entry["outcome"])
    record["warnings"].extend(w for w in entry.get("warnings", []) if w not in record["warnings"])


def _merge_evidence(record, entry):
    """Add the artifacts, snapshots and disks not captured that are not recorded yet."""
    known = {(a["s3_uri"], a.get("version_id")) for a in record["artifacts"]}
    record["artifacts"].extend(a for a in entry.get("artifacts", []) if (a["s3_uri"], a.get("version_id")) not in known)
    _merge_snapshots(record["snapshots"], entry.get("snapshots", []))
    if entry.get("not_captured"):
        known = record.setdefault("not_captured", [])
        known.extend(n for n in entry["not_captured"] if n not in known)


def _merge_outcome(outcomes, stage, outcome):
    """The first description of a status is kept; a re-run only records a change of status. A release that found
    nothing to restore ("unchanged") does not replace the release that restored it ("released")."""
    recorded = outcomes.get(stage, {}).get("status")
    if recorded != outcome.get("status") and _UNCHANGED_AFTER_RELEASED != (recorded, outcome.get("status")):
        outcomes[stage] = outcome
        _supersede(outcomes, stage, outcome.get("status"))


def _supersede(outcomes, stage, status):
    """A release ends the containment recorded before it, and a containment after a release ends that release.

    The earlier outcome becomes "superseded", so that the record never says isolated and
    released at once; a later run of that stage then records its outcome afresh.
    """
    ended = _SUPERSEDES.get((stage, status))
    if ended in outcomes and outcomes[ended].get("status") != SUPERSEDED:
        outcomes[ended] = {"status": SUPERSEDED, "detail": f"{stage} {status} by a later run: see the {stage} outcome"}


def _merge_snapshots(recorded, seen):
    """Add new snapshots; for known ones only their state and progress move on, and their copies merge the same way.

    A copy's accounts (shared_with) only grow.
    """
    by_id = {s["snapshot_id"]: s for s in recorded}
    for snapshot in seen:
        if snapshot.get("state") == "planned":
            continue
        known = by_id.get(snapshot["snapshot_id"])
        if known is None:
            known = {k: v for k, v in snapshot.items() if k not in ("created", "copies")}
            recorded.append(known)
            by_id[snapshot["snapshot_id"]] = known
        else:
            _move_on(known, snapshot)
        if snapshot.get("copies"):
            _merge_snapshots(known.setdefault("copies", []), snapshot["copies"])


def _move_on(known, snapshot):
    """A known snapshot seen again: its state, progress, lock, end time (recorded once) and the accounts it is shared with."""
    known.update(state=snapshot.get("state"), progress=snapshot.get("progress"))
    if snapshot.get("lock"):
        known["lock"] = snapshot["lock"]
    if snapshot.get("end_time") and not known.get("end_time"):  # recorded once, by the first run that saw the copy completed
        known["end_time"] = snapshot.get("end_time")
    if "shared_with" in snapshot:
        known["shared_with"] = sorted(set(known.get("shared_with", [])) | set(snapshot["shared_with"]))


def _finding_identity(finding):
    return finding["source"], finding["id"], finding["artifact"]["s3_uri"], finding["artifact"].get("version_id")


def _merge_findings(recorded, seen):
    """Add the findings (finding_evidence's summaries) not yet recorded; a finding updated since is a new entry."""
    known = {_finding_identity(f) for f in recorded}
    recorded.extend(f for f in seen if _finding_identity(f) not in known)


def _copy_identity(copy):
    return copy["s3_uri"], copy.get("version_id")


def _merge_copies(recorded, seen):
    """Add the copies of record versions not yet recorded, in the order seen."""
    known = {_copy_identity(c) for c in recorded}
    for copy in seen:
        if _copy_identity(copy) not in known:
            recorded.append(copy)
            known.add(_copy_identity(copy))


def merge(manifest, stage_results):
    """A copy of manifest with the stage results merged in.

    stage_results: module results, each with "stage", "actions" (action records)
    and "instances" (per-instance entries with any of preflight facts,
    state_before, artifacts, snapshots, outcome, warnings); the detection stage's
    also with "findings", recorded in the manifest's findings list; the replication
    stage's also with "manifest_copies", the forensic copies of earlier versions of
    the record (manifest and reports).
    """
    merged = copy.deepcopy(manifest)
    for result in stage_results:
        stage = result["stage"]
        merged["actions"].extend(redact(result.get("actions", [])))
        if result.get("findings"):
            _merge_findings(merged.setdefault("findings", []), redact(result["findings"]))
        for entry in redact(result.get("instances", [])):
            _merge_instance(_instance(merged, entry["instance_id"]), stage, entry)
        if result.get(MANIFEST_COPIES):
            _merge_copies(merged.setdefault(MANIFEST_COPIES, []), redact(result[MANIFEST_COPIES]))
    for action in merged["actions"]:
        for instance_id in action["instance_ids"]:
            _instance(merged, instance_id)
    for instance_id, record in merged["instances"].items():
        record["action_indexes"] = action_indexes(merged, instance_id)
    return merged


def _evidence(manifest):
    return {k: v for k, v in manifest.items() if k not in _BOOKKEEPING + (MANIFEST_COPIES,)}


def says_something_new(before, after):
    """Whether after records anything that before does not (ignoring run bookkeeping)."""
    return _evidence(before) != _evidence(after)


def follows(older, newer):
    """What newer changed or dropped of what older recorded, against the merge rules (list of str, empty when none).

    Allowed: appended runs (at least one: every written version adds its run),
    actions, findings, instances, artifacts, snapshots, warnings and copies of record versions; a first state before
    the response or first preflight facts; a snapshot's state and progress; a
    stage outcome replaced by another. Everything else older recorded must be
    in newer unchanged.
    """
    problems = [f"changes {field} from {older.get(field)!r} to {newer.get(field)!r}"
                for field in _IDENTITY if older.get(field) != newer.get(field)]
    problems += _kept_prefix("runs", older["runs"], newer["runs"], describe=lambda r: f"run {r.get('run_id')}")
    if len(newer["runs"]) <= len(older["runs"]):
        problems.append("adds no run: every version evidence_manifest writes records its run")
    problems += _kept_prefix("actions", older["actions"], newer["actions"],
                             describe=lambda a: f"{a.get('action')} on {a.get('target')} at {a.get('time')}")
    problems += _kept_prefix("findings", older.get("findings", []), newer.get("findings", []),
                             describe=lambda f: f"{f.get('source')} finding {f.get('id')}")
    problems += [f"{MANIFEST_COPIES}: drops or rewrites the copy {c['s3_uri']} (version {c.get('version_id')})"
                 for c in older.get(MANIFEST_COPIES, []) if c not in newer.get(MANIFEST_COPIES, [])]
    for instance_id, before in older["instances"].items():
        after = newer["instances"].get(instance_id)
        if after is None:
            problems.append(f"drops instance {instance_id}")
            continue
        problems += [f"instances.{instance_id}.{p}" for p in _instance_follows(before, after)]
    return problems


def _kept_prefix(field, older, newer, describe):
    for n, item in enumerate(older):
        if n >= len(newer):
            return [f"drops {field}[{n}] ({describe(item)}) and every later one"]
        if newer[n] != item:
            return [f"rewrites {field}[{n}] ({describe(item)})"]
    return []


def _instance_follows(before, after):
    problems = [f"{field} changed after it was recorded" for field in ("preflight", "state_before")
                if before.get(field) is not None and after.get(field) != before.get(field)]
    problems += [f"artifacts: drops or rewrites {a['s3_uri']} (version {a.get('version_id')})"
                 for a in before.get("artifacts", []) if a not in after.get("artifacts", [])]
    problems += [f"snapshots: {p}" for p in _snapshots_follow(before.get("snapshots", []), after.get("snapshots", []))]
    problems += [f"outcome: drops the {stage} outcome" for stage in before.get("outcome", {}) if stage not in after.get("outcome", {})]
    for field in _INSTANCE_GROWING:
        problems += [f"{field}: drops {item!r}" for item in before.get(field, []) if item not in after.get(field, [])]
    return problems


def _snapshots_follow(before, after):
    """What after dropped or rewrote of the snapshots (or copies) in before, found by id."""
    now = {s["snapshot_id"]: s for s in after}
    problems = []
    for snapshot in before:
        sid, later = snapshot["snapshot_id"], now.get(snapshot["snapshot_id"])
        if later is None:
            problems.append(f"drops {sid}")
            continue
        if _fixed(snapshot) != _fixed(later):
            problems.append(f"rewrites {sid}")
        problems += [f"{sid} drops {field} {item!r}" for field in _SNAPSHOT_GROWING
                     for item in snapshot.get(field, []) if item not in later.get(field, [])]
        problems += [f"copies of {sid}: {p}" for p in _snapshots_follow(snapshot.get("copies", []), later.get("copies", []))]
    return problems


def _fixed(snapshot):
    return {k: v for k, v in snapshot.items() if k not in _SNAPSHOT_PROGRESS + _SNAPSHOT_GROWING + ("copies",)}


def serialize(manifest):
    """Canonical bytes of a manifest: sorted keys, two-space indent, UTF-8, final newline."""
    return (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def validate(manifest):
    """Raise ManifestError, naming the first fault and where it is, when manifest does not follow the schema."""
    jsonschema = importlib.import_module("jsonschema")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(manifest))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ManifestError(f"the manifest does not follow schema version {SCHEMA_VERSION} at {where}: {error.message}")
