"""respond.yml started from a finding: every shape, the finding as first artifact, Security Hub write-back, every refusal."""

import hashlib
import json
import re

import pytest

from tests.end_to_end.findings import canonical
from tests.end_to_end.findings import sample
from tests.end_to_end.support import REPO
from tests.end_to_end.support import aws
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import first_failure
from tests.end_to_end.support import mutating
from tests.end_to_end.support import role_task
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import task_result

REFUSAL_TASK = "Fail the run when a stage failed"


@pytest.fixture
def demo(demo_before_any_case):
    return demo_before_any_case


def quarantined(lab, instance_id):
    ec2 = aws(lab, "ec2")
    interfaces = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])["NetworkInterfaces"]
    groups = {g["GroupName"] for eni in interfaces for g in eni["Groups"]}
    return groups == {"aws-ir-quarantine"}


def snapshots_of(lab, instance_id, ticket):
    filters = [{"Name": "tag:IncidentTicket", "Values": [ticket]}, {"Name": "tag:SourceInstanceId", "Values": [instance_id]}]
    return aws(lab, "ec2").describe_snapshots(Filters=filters)["Snapshots"]


def test_a_guardduty_event_is_contained_snapshotted_and_recorded_with_the_finding_first(lab, demo):
    instance_id = demo["compromised_instance_id"]
    event = sample("guardduty-event.json", [instance_id])
    code, output = run_playbook(lab, "respond.yml", extra_vars={"finding": event})
    assert code == 0, json.dumps(output["stats"])
    digest = hashlib.sha256(event["detail"]["id"].encode()).hexdigest()
    ticket = f"GD-{int(digest[:8], 16):010d}"
    assert quarantined(lab, instance_id)
    assert len(snapshots_of(lab, instance_id, ticket)) == len(demo["volume_ids"][instance_id])

    [version] = manifest_versions(lab, demo["bucket"], ticket)
    manifest = version["manifest"]
    [finding] = manifest["findings"]
    assert (finding["source"], finding["id"], finding["account_id"], finding["region"]) == (
        "guardduty", event["detail"]["id"], "123456789012", "us-east-1")
    assert finding["severity"] == {"label": "HIGH", "score": 8.0} and finding["instance_ids"] == [instance_id]
    first = manifest["instances"][instance_id]["artifacts"][0]
    assert first == finding["artifact"] and first["kind"] == "finding"
    stored = aws(lab, "s3").get_object(Bucket=demo["bucket"], Key=first["key"], VersionId=first["version_id"])["Body"].read()
    assert stored == canonical(event["detail"])
    assert first["sha256"] == hashlib.sha256(stored).hexdigest() and first["size_bytes"] == len(stored)
    assert first["key"] == f"{ticket}/finding/guardduty-{event['detail']['id']}.json"
    # The PutObject of the finding comes before the first change to the instance.
    actions = [a["action"] for a in manifest["actions"]]
    assert actions[0] == "PutObject" and manifest["actions"][0]["target"] == f"s3://{demo['bucket']}/{first['key']}"
    report = aws(lab, "s3").get_object(Bucket=demo["bucket"], Key=f"{ticket}/report.md")["Body"].read().decode()
    assert report.index("## Finding") < report.index("## Summary")
    assert "Backdoor:EC2/C&CActivity.B!DNS" in report


def test_a_security_hub_event_names_two_instances_and_security_hub_hears_the_outcome(lab, demo):
    securityhub = aws(lab, "securityhub")
    securityhub.enable_security_hub()
    event = sample("securityhub-imported-event.json", demo["instance_ids"])
    securityhub.batch_import_findings(Findings=event["detail"]["findings"])
    code, output = run_playbook(lab, "respond.yml", extra_vars={"finding": event, "ticket": "INC-778899"})
    assert code == 0, first_failure(output)
    assert all(quarantined(lab, i) for i in demo["instance_ids"])

    [version] = manifest_versions(lab, demo["bucket"], "INC-778899")
    manifest_sha256 = hashlib.sha256(version["body"]).hexdigest()
    assert [f["instance_ids"] for f in version["manifest"]["findings"]] == [[i] for i in demo["instance_ids"]]
    for finding in event["detail"]["findings"]:
        [now] = securityhub.get_findings(Filters={"Id": [{"Value": finding["Id"], "Comparison": "EQUALS"}]})["Findings"]
        assert now["Workflow"]["Status"] == "RESOLVED"
        assert now["Note"]["UpdatedBy"] == "secops.aws_ir"
        assert now["Note"]["Text"] == (f"secops.aws_ir INC-778899: response complete: contained, captured and snapshotted. "
                                       f"Evidence manifest s3://{demo['bucket']}/INC-778899/manifest.json "
                                       f"version {version['version_id']} SHA-256 {manifest_sha256}")
    # NOTIFIED went out before the first change to an instance, RESOLVED after the manifest was written.
    log = [(r["action"], r["params"]) for r in lab.requests() if r["service"] in ("securityhub", "ec2", "s3")]
    updates = [n for n, (action, _p) in enumerate(log) if action == "BatchUpdateFindings"]
    first_change = next(n for n, (action, _p) in enumerate(log) if action == "ModifyInstanceAttribute")
    manifest_put = max(n for n, (action, p) in enumerate(log) if action == "PutObject" and p.get("key") == "INC-778899/manifest.json")
    assert len(updates) == 2 and updates[0] < first_change and updates[1] > manifest_put
    assert log[updates[0]][1]["Workflow"] == {"Status": "NOTIFIED"} and log[updates[1]][1]["Workflow"] == {"Status": "RESOLVED"}
    # The NOTIFIED update is in the record; so is each finding's artifact, first for its instance.
    recorded = [a for a in version["manifest"]["actions"] if a["action"] == "BatchUpdateFindings"]
    assert [a["after"] for a in recorded] == ["NOTIFIED"]
    assert [version["manifest"]["instances"][i]["artifacts"][0]["kind"] for i in demo["instance_ids"]] == ["finding", "finding"]


def test_a_guardduty_finding_read_by_id_through_its_detector(lab, demo):
    instance_id = demo["compromised_instance_id"]
    detector = aws(lab, "guardduty").create_detector(Enable=True)["DetectorId"]
    finding = sample("guardduty-finding.json", [instance_id], detector=detector)
    lab.plant_guardduty_findings([finding])
    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml", "--check",
                                extra_vars={"finding_id": finding["id"], "finding_source": "guardduty", "ticket": "INC-445566"})
    assert code == 0, json.dumps(output["stats"])
    read = role_task(output, "finding", "Read the finding")
    assert read["instance_ids"] == [instance_id] and read["findings"][0]["finding"] == finding
    calls = [(r["service"], r["action"]) for r in lab.requests()]
    assert ("guardduty", "ListDetectors") in calls and ("guardduty", "GetFindings") in calls
    # Check mode: nothing written back, nothing stored, nothing changed.
    assert mutating(lab.requests()) == []


def test_check_mode_writes_nothing_back_to_security_hub(lab, demo):
    securityhub = aws(lab, "securityhub")
    securityhub.enable_security_hub()
    event = sample("securityhub-custom-action-event.json", demo["instance_ids"])
    securityhub.batch_import_findings(Findings=event["detail"]["findings"])
    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml", "--check", extra_vars={"finding": event})
    assert code == 0, json.dumps(output["stats"])
    assert mutating(lab.requests()) == []
    planned = role_task(output, "finding", "Tell Security Hub the response started")
    assert [a["outcome"] for a in planned["actions"]] == ["planned"] and planned["updated"] == [event["detail"]["findings"][0]["Id"]]
    [now] = securityhub.get_findings()["Findings"]
    assert now["Workflow"]["Status"] == "NEW" and "Note" not in now
    assert re.fullmatch(r"SH-[0-9]{10}", role_task(output, "finding", "Read the finding")["ticket"])


@pytest.mark.parametrize("case, extra, reason", [
    ("below min_severity", {"finding": "guardduty-event-low.json"}, "severity LOW (score 2.0) is below min_severity MEDIUM"),
    ("no EC2 instance", {"finding": "guardduty-event-s3.json"}, "it names no EC2 instance (resource types ['S3Bucket'])"),
    ("type not allowed", {"finding": "guardduty-event.json", "finding_types": ["Recon:EC2/*"]},
     "none of its types ['Backdoor:EC2/C&CActivity.B!DNS'] matches finding_types ['Recon:EC2/*']"),
    ("other account", {"finding": "guardduty-event.json", "account": "210987654321"},
     "is in account 210987654321, Region us-east-1; this run acts in account 123456789012, Region us-east-1"),
    ("other Region", {"finding": "guardduty-event.json", "aws_region": "eu-west-1"},
     "is in account 123456789012, Region us-east-1; this run acts in account 123456789012, Region eu-west-1"),
])
def test_a_refused_finding_stops_the_run_before_any_change_naming_finding_and_reason(lab, demo, case, extra, reason):
    del case
    extra = dict(extra)
    finding = sample(extra.pop("finding"), [demo["compromised_instance_id"]], account=extra.pop("account", None))
    code, output = run_playbook(lab, "respond.yml", extra_vars=dict(extra, finding=finding))
    assert code != 0
    message = first_failure(output)[1]
    assert f"guardduty finding {finding['detail']['id']}" in message and reason in message
    assert "Nothing was changed." in task_result(output, REFUSAL_TASK)["msg"]
    assert mutating(lab.requests()) == []
    assert aws(lab, "s3").list_objects_v2(Bucket=demo["bucket"]).get("KeyCount") == 0


def test_instance_ids_beside_a_finding_are_refused(lab, demo):
    event = sample("guardduty-event.json", [demo["compromised_instance_id"]])
    code, output = run_playbook(lab, "respond.yml", extra_vars={"finding": event, "instance_ids": [demo["instance_ids"][1]]})
    assert code != 0 and "the finding names the instances" in task_result(output, "Refuse instance ids beside a finding")["msg"]
    assert mutating(lab.requests()) == []


def test_the_approval_tier_plans_records_and_announces_without_changing_anything(lab, demo, tmp_path):
    instance_id = demo["compromised_instance_id"]
    event = sample("guardduty-event.json", [instance_id])
    code, output = run_playbook(lab, "plan.yml", extra_vars={"finding": event}, env={"AWS_IR_PLAN_DIR": str(tmp_path)})
    assert code == 0, json.dumps(output["stats"])
    assert mutating(lab.requests()) == []
    ticket = role_task(output, "finding", "Read the finding")["ticket"]
    assert json.loads((tmp_path / ticket / "finding.json").read_text()) == event
    planned = json.loads((tmp_path / ticket / "manifest.planned.json").read_text())
    assert planned["runs"][-1]["check_mode"] is True and planned["findings"][0]["id"] == event["detail"]["id"]
    assert {a["outcome"] for a in planned["actions"]} == {"planned"}
    announced = task_result(output, "Announce the plan")["msg"]
    assert announced[0] == f"{ticket}: containment of {instance_id} waits for a person."
    assert announced[2] == f"To contain: ansible-playbook secops.aws_ir.respond -e finding=@{tmp_path / ticket / 'finding.json'}"


def test_a_security_hub_that_refuses_the_write_back_does_not_stop_the_response(lab, demo):
    # Security Hub is not enabled in this account: GetFindings answers InvalidAccessException.
    event = sample("securityhub-custom-action-event.json", demo["instance_ids"])
    code, output = run_playbook(lab, "respond.yml", "--check", extra_vars={"finding": event})
    assert code == 0, json.dumps(output["stats"])
    told = role_task(output, "finding", "Tell Security Hub the response started")
    assert told["error"] == "InvalidAccessException" and any("Security Hub was not told (NOTIFIED)" in w for w in told["warnings"])
    assert role_task(output, "containment", "Protect, take out of service and isolate the instances")["changed"] is True


def test_a_finding_file_named_relative_to_the_current_folder_is_read(lab, demo):
    # -e finding=@PATH as a responder types it in a shell: the path is taken from where ansible-playbook was started
    # (the tests start it in the repository), not from the playbook's folder.
    event = sample("guardduty-event.json", [demo["compromised_instance_id"]])
    relative = "tests/output/finding-relative.json"
    (REPO / relative).parent.mkdir(parents=True, exist_ok=True)
    (REPO / relative).write_text(json.dumps(event))
    code, output = run_playbook(lab, "respond.yml", "--check", extra_vars={"finding": f"@{relative}"}, env={"PWD": str(REPO)})
    assert code == 0, first_failure(output)
    assert role_task(output, "finding", "Read the finding")["instance_ids"] == [demo["compromised_instance_id"]]
    assert mutating(lab.requests()) == []
