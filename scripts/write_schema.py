"""Writes schemas/evidence-manifest-v<N>.json from the schema the modules carry (manifest_schema.py).

    .venv/bin/python scripts/write_schema.py

The Python dict is the only copy edited by hand; tests/unit/.../test_manifest_schema.py
fails until the JSON file is written again after a change.
"""

from pathlib import Path

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest_schema import SCHEMA_FILE
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest_schema import schema_json

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def main():
    path = SCHEMAS / SCHEMA_FILE
    path.write_text(schema_json(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
