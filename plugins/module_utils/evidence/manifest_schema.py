# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""JSON Schema (draft 2020-12) of the evidence manifest, version 1.

Kept as Python so that modules, which run without the collection's other
files, carry it with them. This is the only copy written by hand:
``schemas/evidence-manifest-v1.json`` is generated from it
(``scripts/write_schema.py``) and a unit test checks that the two agree.
"""

import json

SCHEMA_VERSION = 1
SCHEMA_FILE = f"evidence-manifest-v{SCHEMA_VERSION}.json"
SCHEMA_ID = f"https://github.com/secops/aws_ir/schemas/{SCHEMA_FILE}"

_TIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$"}
_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_NULLABLE_STR = {"type": ["string", "null"]}

_ACTION = {
    "type": "object",
    "required": ["time", "stage", "service", "action", "target", "instance_ids", "parameters", "outcome", "error_code", "request_id"],
    "properties": {
        "time": _TIME,
        "stage": {"type": "string"},
        "service": {"type": "string"},
        "action": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]+$"},
        "target": {"type": "string"},
        "instance_ids": {"type": "array", "items": {"type": "string"}},
        "parameters": {"type": "object"},
        "before": {},
        "after": {},
        "outcome": {"enum": ["ok", "planned", "error"]},
        "error_code": _NULLABLE_STR,
        "request_id": _NULLABLE_STR,
        # Only on an error AWS may still have acted on (a 5xx answer, no answer): the call was not repeated.
        "may_have_changed": {"const": True},
        # Only in a response in several accounts and Regions (member_role, docs/accounts-and-regions.md).
        "account_id": {"type": "string", "pattern": "^[0-9]{12}$",
                       "description": "The account the call was made in; in a response with member_role (several accounts and Regions)."},
        "region": {"type": "string", "description": "The Region the call was made in; in a response with member_role (several accounts and Regions)."},
    },
}

_ARTIFACT = {
    "type": "object",
    "required": ["kind", "bucket", "key", "s3_uri", "size_bytes", "sha256"],
    "properties": {
        "kind": {"type": "string"},
        "bucket": {"type": "string"},
        "key": {"type": "string"},
        "s3_uri": {"type": "string", "pattern": "^s3://"},
        "version_id": _NULLABLE_STR,
        "size_bytes": {"type": "integer", "minimum": 0},
        "sha256": _SHA256,
    },
}

_TAGS = {"type": "object", "additionalProperties": {"type": "string"}}

_RECORD_COPY = {
    "description": ("A copy, in the forensic account's evidence bucket, of an earlier version of this ticket's manifest.json, report.html "
                    "or report.md (evidence_replicate), read back there: its SHA-256 is the source version's."),
    "type": "object",
    "allOf": [_ARTIFACT],
    "required": ["kind", "source_s3_uri", "source_version_id"],
    "properties": {
        "kind": {"const": "forensic_copy"},
        "source_s3_uri": {"type": "string", "pattern": "^s3://"},
        "source_version_id": _NULLABLE_STR,
    },
}

_FINDING = {
    "description": "A finding the response started from (finding_evidence), in the order received; its JSON is the artifact.",
    "type": "object",
    "required": ["source", "id", "account_id", "region", "severity", "types", "title", "instance_ids", "artifact"],
    "properties": {
        "source": {"enum": ["guardduty", "securityhub"]},
        "id": {"type": "string", "minLength": 1},
        "arn": _NULLABLE_STR,
        "product_arn": _NULLABLE_STR,
        "account_id": {"type": "string", "pattern": r"^\d{12}$"},
        "region": {"type": "string"},
        "severity": {"type": "object", "required": ["label"], "properties": {
            "label": {"enum": ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]}, "score": {"type": ["number", "null"]}}},
        "types": {"type": "array", "items": {"type": "string"}},
        "title": {"type": "string"},
        "created_at": _NULLABLE_STR,
        "updated_at": _NULLABLE_STR,
        "event": {"type": ["object", "null"]},
        "instance_ids": {"type": "array", "items": {"type": "string"}},
        "artifact": _ARTIFACT,
    },
}

_LOCK = {
    "description": "The EBS snapshot lock (LockSnapshot / DescribeLockedSnapshots) as last seen.",
    "type": "object",
    "required": ["mode", "state"],
    "properties": {
        "mode": {"enum": ["governance", "compliance"]},
        "state": {"type": "string"},
        "expires_on": _NULLABLE_STR,
        "created_on": _NULLABLE_STR,
        "duration_days": {"type": "integer", "minimum": 1},
        "cool_off_period_hours": {"type": "integer", "minimum": 1},
        "cool_off_expires_on": _NULLABLE_STR,
    },
}

_COPY = {
    "type": "object",
    "required": ["snapshot_id", "source_snapshot_id", "region", "state", "kms_key_id", "tags", "shared_with"],
    "properties": {
        "snapshot_id": {"type": "string"},
        "source_snapshot_id": {"type": "string"},
        "region": {"type": "string"},
        "state": {"type": "string"},
        "encrypted": {"type": "boolean"},
        "kms_key_id": {"type": "string"},
        "tags": _TAGS,
        "shared_with": {"type": "array", "items": {"type": "string", "pattern": r"^\d{12}$"}},
        "owner_id": {"description": "The forensic account, for a copy that account made and owns.", "type": "string", "pattern": r"^\d{12}$"},
        "copied_from": {"description": "The shared copy a forensic account's copy was made from.", **_NULLABLE_STR},
        "start_time": _NULLABLE_STR,
        "end_time": {"description": "When the copy completed (ISO 8601).", **_NULLABLE_STR},
        "lock": _LOCK,
    },
}

_SNAPSHOT = {
    "type": "object",
    "required": ["snapshot_id", "volume_id", "device_name", "state"],
    "properties": {
        "snapshot_id": {"type": "string"},
        "volume_id": {"type": "string"},
        "device_name": {"type": "string"},
        "state": {"type": "string"},
        "tags": _TAGS,
        "copies": {"type": "array", "items": _COPY},
        "lock": _LOCK,
    },
}

_NOT_CAPTURED = {
    "type": "object",
    "required": ["kind", "name", "status", "reason"],
    "properties": {
        "kind": {"enum": ["instance_store", "ebs"]},
        "name": {"type": "string"},
        "volume_id": _NULLABLE_STR,
        "device_name": _NULLABLE_STR,
        "status": {"const": "not_captured"},
        "reason": {"type": "string", "minLength": 1},
    },
}

_INSTANCE = {
    "type": "object",
    "required": ["preflight", "state_before", "artifacts", "snapshots", "outcome", "warnings"],
    "properties": {
        "action_indexes": {
            "description": "Positions (from 0) in the manifest's actions of the calls that concern this instance, in order.",
            "type": "array", "items": {"type": "integer", "minimum": 0},
        },
        "preflight": {"type": ["object", "null"]},
        "state_before": {"type": ["object", "null"]},
        "artifacts": {"type": "array", "items": _ARTIFACT},
        "snapshots": {"type": "array", "items": _SNAPSHOT},
        "not_captured": {"type": "array", "items": _NOT_CAPTURED},
        "outcome": {"type": "object"},
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}

_RUN = {
    "type": "object",
    "required": ["run_id", "playbook", "started_at", "ended_at", "status", "check_mode", "actor", "controller"],
    "properties": {
        "run_id": {"type": "string"},
        "playbook": {"type": "string"},
        "started_at": _TIME,
        "ended_at": _TIME,
        "status": {"enum": ["complete", "failed"]},
        "failed_stage": _NULLABLE_STR,
        "failure": _NULLABLE_STR,
        "check_mode": {"type": "boolean"},
        "actor": {
            "type": "object",
            "required": ["arn", "account"],
            "properties": {"arn": {"type": "string"}, "account": {"type": "string", "pattern": r"^\d{12}$"}},
        },
        "controller": {"type": "object", "required": ["host"], "properties": {"host": {"type": "string"}}},
        # Optional, so version 1 manifests written before it stay valid and version 1 readers may ignore it.
        "uploaded_from_journal": {
            "description": "Set when this run's version was uploaded by a later run from the controller's journal (its own upload had failed).",
            "type": "object",
            "required": ["file", "uploaded_at"],
            "properties": {"file": {"type": "string"}, "uploaded_at": _TIME},
        },
        "evidence_bucket": {
            "description": "The evidence bucket as this run's preflight found it (incident_preflight's bucket).",
            "type": "object",
            "required": ["name", "versioning", "object_lock", "encryption", "warnings"],
            "properties": {
                "name": {"type": "string"},
                "versioning": {"type": "string"},
                "object_lock": {"type": "boolean"},
                "default_retention": {"type": ["object", "null"]},
                "encryption": _NULLABLE_STR,
                "warnings": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "secops.aws_ir evidence manifest",
    "type": "object",
    "required": ["schema_version", "ticket", "collection", "region", "bucket", "key", "created_at", "updated_at",
                 "previous_version", "runs", "actions", "instances"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "ticket": {
            "type": "object",
            "required": ["raw", "normalized"],
            "properties": {"raw": {"type": "string", "minLength": 1}, "normalized": {"type": "string", "pattern": "^[A-Za-z0-9._-]+$"}},
        },
        "collection": {"type": "object", "required": ["name", "version"]},
        "region": {"type": "string"},
        "bucket": {"type": "string"},
        "key": {"type": "string"},
        "created_at": _TIME,
        "updated_at": _TIME,
        "previous_version": {
            "oneOf": [
                {"type": "null"},
                {"type": "object", "required": ["version_id", "sha256"],
                 "properties": {"version_id": _NULLABLE_STR, "sha256": _SHA256}},
            ],
        },
        "runs": {"type": "array", "minItems": 1, "items": _RUN},
        "actions": {"type": "array", "items": _ACTION},
        "findings": {"type": "array", "items": _FINDING},
        # Optional, so version 1 manifests written before it stay valid.
        "manifest_copies": {
            "description": ("The forensic copies of earlier versions of the record, in the order recorded. A version cannot record its own copy: "
                            "the next version written records it."),
            "type": "array", "items": _RECORD_COPY,
        },
        "instances": {"type": "object", "patternProperties": {"^i-[0-9a-f]+$": _INSTANCE}, "additionalProperties": False},
    },
}


def schema_json():
    """The schema as the JSON text shipped in schemas/ (sorted keys, two-space indent, final newline)."""
    return json.dumps(SCHEMA, sort_keys=True, indent=2) + "\n"
