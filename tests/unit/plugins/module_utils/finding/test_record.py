"""The finding in the record: stored once as S3 holds it, listed in the manifest, first in the case report; Security Hub told once."""

import hashlib
import json

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import manifest as model
from ansible_collections.secops.aws_ir.plugins.module_utils.record.case_report import build
from ansible_collections.secops.aws_ir.plugins.module_utils.finding import workflow
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.artifact import finding_body
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.artifact import finding_key
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.artifact import preserve
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.artifact import summary
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import parse
from tests.unit.conftest import client_error

T0 = "2026-12-03T08:00:00.000Z"
BUCKET = "aws-ir-evidence-123456789012-us-east-1"


class Body:
    def __init__(self, data):
        self.data = data

    def iter_chunks(self, _size):
        yield self.data


def s3_holding(fake_client, stored):
    """A fake S3 whose GetObject answers from stored ({key: bytes}, or a missing key) and whose PutObject stores."""
    def get(params):
        if params["Key"] not in stored:
            return client_error("NoSuchKey")
        return {"Body": Body(stored[params["Key"]]), "VersionId": "v1"}

    def put(params):
        stored[params["Key"]] = params["Body"]
        return {"VersionId": "v1", "ResponseMetadata": {"RequestId": "r1"}}
    return fake_client(get_object=get, put_object=put)


def test_the_finding_is_stored_as_received_and_described_from_s3(sample, fake_client):
    [finding] = parse(sample("guardduty-event.json"))
    stored = {}
    log = ActionLog("detection", check_mode=False)
    artifact = preserve(log, s3_holding(fake_client, stored), BUCKET, "GD-1", finding, None)
    body = stored[finding_key("GD-1", finding)]
    assert json.loads(body) == sample("guardduty-finding.json")
    assert artifact["sha256"] == hashlib.sha256(body).hexdigest() and artifact["version_id"] == "v1"
    assert artifact["key"] == "GD-1/finding/guardduty-6ac6b1fd2b3e8e1c5a7d4f0e9b2c3a41.json"
    assert [(r["action"], r["instance_ids"]) for r in log.records] == [("PutObject", ["i-0123456789abcdef0"])]


def test_a_finding_already_stored_with_the_same_bytes_is_not_written_again(sample, fake_client):
    [finding] = parse(sample("guardduty-event.json"))
    stored = {finding_key("GD-1", finding): finding_body(finding)}
    log = ActionLog("detection", check_mode=False)
    preserve(log, s3_holding(fake_client, stored), BUCKET, "GD-1", finding, None)
    assert log.records == []


def test_a_security_hub_id_becomes_a_key_safe_name(sample):
    [finding] = parse(sample("asff-finding.json"))
    key = finding_key("SH-1", finding)
    assert key.startswith("SH-1/finding/securityhub-arn-aws-guardduty-us-east-1-123456789012-detector-")
    assert key.endswith("finding-6ac6b1fd2b3e8e1c5a7d4f0e9b2c3a41.json")


def detection(sample, version="v1"):
    [finding] = parse(sample("guardduty-event.json"))
    artifact = {"kind": "finding", "bucket": BUCKET, "key": "GD-1/finding/x.json", "s3_uri": f"s3://{BUCKET}/GD-1/finding/x.json",
                "version_id": version, "size_bytes": 10, "sha256": "a" * 64}
    recorded = summary(finding, artifact)
    return {"stage": "detection", "actions": [], "findings": [recorded],
            "instances": [{"instance_id": "i-0123456789abcdef0", "artifacts": [artifact]}]}


def test_the_manifest_lists_each_finding_once_and_never_drops_one(sample):
    fresh = model.new_manifest({"raw": "GD-1", "normalized": "GD-1"}, "us-east-1", BUCKET, T0)
    once = model.merge(fresh, [detection(sample)])
    twice = model.merge(once, [detection(sample)])
    assert [f["id"] for f in twice["findings"]] == ["6ac6b1fd2b3e8e1c5a7d4f0e9b2c3a41"]
    assert twice["instances"]["i-0123456789abcdef0"]["artifacts"][0]["kind"] == "finding"
    updated = model.merge(once, [detection(sample, version="v2")])
    assert [f["artifact"]["version_id"] for f in updated["findings"]] == ["v1", "v2"]
    dropped = dict(updated, findings=[], runs=[{}, {}])
    assert any(p.startswith("drops findings[0] (guardduty finding 6ac6b1fd2b3e8e1c5a7d4f0e9b2c3a41)") for p in model.follows(updated, dropped))


def test_the_manifest_schema_takes_the_findings_list(sample):
    manifest = model.merge(model.new_manifest({"raw": "GD-1", "normalized": "GD-1"}, "us-east-1", BUCKET, T0), [detection(sample)])
    manifest["runs"] = [{"run_id": "r", "playbook": "respond.yml", "started_at": T0, "ended_at": T0, "status": "complete",
                         "check_mode": False, "actor": {"arn": "arn:aws:iam::123456789012:user/a", "account": "123456789012"},
                         "controller": {"host": "h"}}]
    model.validate(manifest)
    manifest["findings"][0]["severity"]["label"] = "SEVERE"
    with pytest.raises(model.ManifestError, match="findings/0/severity/label"):
        model.validate(manifest)


def test_the_case_report_opens_with_the_finding(sample):
    manifest = model.merge(model.new_manifest({"raw": "GD-1", "normalized": "GD-1"}, "us-east-1", BUCKET, T0), [detection(sample)])
    manifest["runs"] = [{"run_id": "r", "playbook": "respond.yml", "started_at": T0, "ended_at": T0, "status": "complete",
                         "check_mode": False, "actor": {"arn": "a", "account": "123456789012"}, "controller": {"host": "h"}}]
    blocks = build(manifest, {"s3_uri": "s3://b/GD-1/manifest.json", "version_id": "v", "sha256": "b" * 64})
    headings = [b[1] for b in blocks if b[0] == "heading"]
    assert headings[:2] == ["Finding", "At a glance"]
    [table] = [b for b in blocks if b[0] == "table" and b[1] == "findings"]
    assert table[3][0][:3] == ["guardduty", "6ac6b1fd2b3e8e1c5a7d4f0e9b2c3a41", "HIGH (8.0)"]


def test_security_hub_findings_are_updated_once_and_guardduty_ones_left_saying_why(sample, fake_client):
    findings = parse([sample("securityhub-imported-event.json"), sample("guardduty-finding.json")])
    note = workflow.note_text("SH-1", "response started", None)
    held = {"Findings": [{"Id": findings[0]["id"], "Workflow": {"Status": "NOTIFIED"}, "Note": {"Text": note}},
                         {"Id": findings[1]["id"], "Workflow": {"Status": "NEW"}}]}
    client = fake_client(get_findings=held, batch_update_findings={"ProcessedFindings": [], "UnprocessedFindings": [], "ResponseMetadata": {}})
    log = ActionLog("detection", check_mode=False)
    result = workflow.update(log, client, findings, "NOTIFIED", note)
    assert result["unchanged"] == [findings[0]["id"]] and result["updated"] == [findings[1]["id"]]
    assert result["left"] == [{"source": "guardduty", "id": findings[2]["id"], "reason": workflow.GUARDDUTY_LEFT}]
    [(_name, params)] = [c for c in client.calls if c[0] == "batch_update_findings"]
    assert params["FindingIdentifiers"] == [{"Id": findings[1]["id"], "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty"}]
    assert params["Note"] == {"Text": note, "UpdatedBy": "secops.aws_ir"}


def test_check_mode_plans_the_update_and_sends_nothing(sample, fake_client):
    findings = parse(sample("asff-finding.json"))
    client = fake_client(service="securityhub", get_findings={"Findings": []})
    log = ActionLog("detection", check_mode=True)
    result = workflow.update(log, client, findings, "NOTIFIED", "n")
    assert [r["outcome"] for r in log.records] == ["planned"] and result["updated"] == [findings[0]["id"]]
    assert [c[0] for c in client.calls] == ["get_findings"]


def test_the_note_names_the_manifest_and_fits_512_characters():
    manifest = {"s3_uri": "s3://b/SH-1/manifest.json", "version_id": "v" * 32, "sha256": "c" * 64}
    text = workflow.note_text("SH-1", "response complete", manifest)
    assert text == f"secops.aws_ir SH-1: response complete. Evidence manifest s3://b/SH-1/manifest.json version {'v' * 32} SHA-256 {'c' * 64}"
    assert len(workflow.note_text("SH-1", "x" * 600, manifest)) == 512
