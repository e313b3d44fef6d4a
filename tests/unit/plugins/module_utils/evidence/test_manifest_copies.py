"""The forensic copies of the manifest's own versions, as verify reads them: recorded, found but not yet recorded, or none yet."""
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import manifest_copies

URI = "s3://case/INC-1/manifest.json"
V1, V2 = {"version_id": "v1", "sha256": "1" * 64, "last_modified": "2026-12-03T00:00:00+00:00"}, \
    {"version_id": "v2", "sha256": "2" * 64, "last_modified": "2026-12-03T01:00:00+00:00"}


def copy_of(version, sha256=None, copy_version="c1", source=URI):
    return {"kind": "forensic_copy", "bucket": "forensic", "key": "INC-1/manifest.json", "s3_uri": "s3://forensic/INC-1/manifest.json",
            "version_id": copy_version, "size_bytes": 1, "sha256": sha256 or version["sha256"], "source_s3_uri": source,
            "source_version_id": version["version_id"]}


def test_every_version_records_copies_once_oldest_record_first():
    recorded = copy_of(V1)
    versions = [dict(V2, manifest={"manifest_copies": [recorded]}), dict(V1, manifest={"manifest_copies": [recorded]})]
    assert manifest_copies.recorded(versions) == [recorded]
    assert manifest_copies.recorded([dict(V1, manifest=None)]) == []


def test_a_recorded_copy_must_hold_the_sha256_of_a_version_verify_read():
    assert manifest_copies.check_sources([copy_of(V1)], [V1, V2], URI) == []
    [other] = manifest_copies.check_sources([copy_of(V1, sha256="f" * 64)], [V1, V2], URI)
    assert other == {"object": "s3://forensic/INC-1/manifest.json version c1",
                     "problem": f"is recorded with SHA-256 {'f' * 64}, its source manifest version v1 has {'1' * 64}"}
    [unknown] = manifest_copies.check_sources([copy_of(dict(V1, version_id="gone"))], [V1, V2], URI)
    assert unknown["problem"] == f"is recorded as the copy of {URI} version gone, which is not a version of the manifest"
    # A report's copy is checked against its recorded SHA-256 only (verify does not read the reports).
    assert manifest_copies.check_sources([copy_of(V1, sha256="f" * 64, source="s3://case/INC-1/report.md")], [V1, V2], URI) == []


def test_each_version_says_where_its_copy_is_and_a_found_copy_with_other_bytes_is_a_discrepancy():
    found = {"s3_uri": "s3://forensic/INC-1/manifest.json", "version_id": "c2", "sha256": V2["sha256"]}
    where, findings = manifest_copies.locate([V2, V1], [copy_of(V1)], URI, find=lambda version: found)
    assert findings == []
    assert where == {"v1": {"status": "recorded", "s3_uri": "s3://forensic/INC-1/manifest.json", "version_id": "c1"},
                     "v2": {"status": "found, not yet recorded", "s3_uri": "s3://forensic/INC-1/manifest.json", "version_id": "c2"}}
    where, findings = manifest_copies.locate([V2, V1], [], URI, find=lambda version: found)
    assert where["v2"]["status"] == "found, not yet recorded"
    assert [f["object"] for f in findings] == ["s3://forensic/INC-1/manifest.json version c2"]  # v1's lookup found v2's bytes
    where, findings = manifest_copies.locate([V2], [], URI, find=lambda version: None)
    assert (where["v2"]["status"], findings) == ("no copy yet", [])
    assert manifest_copies.summary(where) == ["- manifest version v2: no forensic copy yet"]
    # Without the forensic role nothing is looked for, and the verdict does not claim there is no copy.
    where, findings = manifest_copies.locate([V2, V1], [copy_of(V1)], URI)
    assert (where["v1"]["status"], where["v2"]["status"]) == ("recorded", "not recorded, not looked for without forensic_role_arn")
