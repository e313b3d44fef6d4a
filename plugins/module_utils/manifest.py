# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The evidence manifest: one JSON document per ticket that records the whole response.

``s3://<bucket>/<normalised ticket>/manifest.json``. Each run merges the results
of its stages into it: actions are appended, never rewritten; the state of an
instance before the response is the one first recorded (a re-run sees the
quarantined state, which must not replace the original); artifacts and snapshots
are added by identity. Each new S3 version names the version before it and its
SHA-256, so the versions form a chain an auditor can walk.
"""

import copy
import hashlib
import json

try:
    import jsonschema

    HAS_JSONSCHEMA = True
except ImportError:
    HAS_JSONSCHEMA = False

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AWS_IR_COLLECTION_NAME
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AWS_IR_COLLECTION_VERSION
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_PREFLIGHT
from ansible_collections.secops.aws_ir.plugins.module_utils.manifest_schema import SCHEMA
from ansible_collections.secops.aws_ir.plugins.module_utils.manifest_schema import SCHEMA_VERSION

MANIFEST_NAME = "manifest.json"
# Fields that change on every write without saying anything new about the evidence.
_BOOKKEEPING = ("runs", "updated_at", "previous_version")


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
        "preflight": None, "state_before": None, "artifacts": [], "snapshots": [], "outcome": {}, "warnings": [],
    })


def _merge_instance(record, stage, entry):
    if stage == STAGE_PREFLIGHT:
        if record["preflight"] is None:
            record["preflight"] = {k: v for k, v in entry.items() if k != "instance_id"}
        return
    if record["state_before"] is None and entry.get("state_before") is not None:
        record["state_before"] = entry["state_before"]
    known = {(a["s3_uri"], a.get("version_id")) for a in record["artifacts"]}
    record["artifacts"].extend(a for a in entry.get("artifacts", []) if (a["s3_uri"], a.get("version_id")) not in known)
    _merge_snapshots(record["snapshots"], entry.get("snapshots", []))
    if entry.get("not_captured"):
        known = record.setdefault("not_captured", [])
        known.extend(n for n in entry["not_captured"] if n not in known)
    outcome = entry.get("outcome")
    # The first description of a status is kept; a re-run only records a change of status.
    if outcome is not None and record["outcome"].get(stage, {}).get("status") != outcome.get("status"):
        record["outcome"][stage] = outcome
    record["warnings"].extend(w for w in entry.get("warnings", []) if w not in record["warnings"])


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
            known.update(state=snapshot.get("state"), progress=snapshot.get("progress"))
            if "shared_with" in snapshot:
                known["shared_with"] = sorted(set(known.get("shared_with", [])) | set(snapshot["shared_with"]))
        if snapshot.get("copies"):
            _merge_snapshots(known.setdefault("copies", []), snapshot["copies"])


def merge(manifest, stage_results):
    """A copy of manifest with the stage results merged in.

    stage_results: module results, each with "stage", "actions" (action records)
    and "instances" (per-instance entries with any of preflight facts,
    state_before, artifacts, snapshots, outcome, warnings).
    """
    merged = copy.deepcopy(manifest)
    for result in stage_results:
        stage = result["stage"]
        merged["actions"].extend(result.get("actions", []))
        for entry in result.get("instances", []):
            _merge_instance(_instance(merged, entry["instance_id"]), stage, entry)
    return merged


def _evidence(manifest):
    return {k: v for k, v in manifest.items() if k not in _BOOKKEEPING}


def says_something_new(before, after):
    """Whether after records anything that before does not (ignoring run bookkeeping)."""
    return _evidence(before) != _evidence(after)


def serialize(manifest):
    """Canonical bytes of a manifest: sorted keys, two-space indent, UTF-8, final newline."""
    return (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def validate(manifest):
    """Raise ManifestError, naming the first fault and where it is, when manifest does not follow the schema."""
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(manifest))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ManifestError(f"the manifest does not follow schema version {SCHEMA_VERSION} at {where}: {error.message}")
