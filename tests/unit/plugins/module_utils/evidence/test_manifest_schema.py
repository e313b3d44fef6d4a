"""The schema shipped as JSON is the one the modules validate with, and it is a valid draft 2020-12 schema."""

import json
from pathlib import Path

import jsonschema

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest_schema import SCHEMA
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest_schema import SCHEMA_FILE
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest_schema import SCHEMA_ID
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest_schema import SCHEMA_VERSION

SHIPPED = Path(__file__).resolve().parents[5] / "schemas" / SCHEMA_FILE


def test_the_shipped_json_file_is_the_schema_the_modules_carry():
    assert SHIPPED.exists(), f"{SHIPPED} is missing: run scripts/write_schema.py"
    assert json.loads(SHIPPED.read_text(encoding="utf-8")) == SCHEMA, "schemas/ is stale: run scripts/write_schema.py"


def test_the_schema_is_a_valid_draft_2020_12_schema_named_after_its_version():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA_FILE == f"evidence-manifest-v{SCHEMA_VERSION}.json" and SCHEMA_ID.endswith("/" + SCHEMA_FILE)
    assert SCHEMA["properties"]["schema_version"] == {"const": SCHEMA_VERSION}
