"""respond.yml launched the way the AWX job template launches it: survey answers as extra
variables, each the type AWX sends (text and multiple choice as strings)."""

import hashlib
import json
import os
import sys
from pathlib import Path

import ansible_runner
import pytest
import yaml

from tests.end_to_end.support import REGION
from tests.end_to_end.support import REPO
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import lab_environment
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import run_playbook

SURVEY = yaml.safe_load((REPO / "extensions" / "awx" / "surveys" / "respond.yml").read_text(encoding="utf-8"))


def survey_answers(**answers):
    """What AWX puts in extra_vars: every question's answer, the default where none was given (a question
    with no default and no answer sends nothing)."""
    extra_vars = {q["variable"]: q["default"] for q in SURVEY["spec"] if "default" in q}
    extra_vars.update(answers)
    return extra_vars


def test_respond_runs_on_survey_answers_as_awx_sends_them(lab, demo):
    instance_id = demo["compromised_instance_id"]
    answers = survey_answers(ticket=TICKET, instance_ids=instance_id, aws_region=REGION, capture_volatile="false")
    code, output = run_playbook(lab, "respond.yml", extra_vars=answers)
    assert code == 0, output["stats"]
    ec2 = aws(lab, "ec2")
    interfaces = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])
    groups = {g["GroupName"] for eni in interfaces["NetworkInterfaces"] for g in eni["Groups"]}
    assert groups == {"aws-ir-quarantine"}
    # "false" from the multiple choice is false: no SSM command was sent.
    assert aws(lab, "ssm").list_commands(InstanceId=instance_id)["Commands"] == []
    assert aws(lab, "s3").head_object(Bucket=demo["bucket"], Key=f"{TICKET}/manifest.json")["ContentLength"] > 0


@pytest.mark.parametrize("answers, variable", [
    ({"capture_volatile": "perhaps"}, "capture_volatile"),
    ({"instance_ids": {"id": "i-0123456789abcdef0"}}, "instance_ids"),
])
def test_a_wrong_answer_is_refused_by_name_before_any_aws_call(lab, demo, answers, variable):
    code, output = run_playbook(lab, "respond.yml", extra_vars=survey_answers(ticket=TICKET, **answers))
    assert code != 0
    failed = [h for play in output["plays"] for task in play["tasks"] for h in task["hosts"].values() if h.get("failed")]
    assert len(failed) == 1 and variable in failed[0]["msg"]
    assert lab.requests() == []


# What the controller injects from an "Amazon Web Services" credential; the lab accepts any value, and
# these are shaped so that no other text could contain them by chance.
AWX_CREDENTIAL = {"AWS_ACCESS_KEY_ID": "awx-injected-key-id-7f3c", "AWS_SECRET_ACCESS_KEY": "awx-injected-secret-9d21",
                  "AWS_SESSION_TOKEN": "awx-injected-session-token-5e8a", "AWS_SECURITY_TOKEN": "awx-injected-session-token-5e8a"}


def run_like_awx(lab, tmp_path, playbook, extra_vars):
    """ansible-runner as an AWX job runs a template: a private data dir, the project, extra vars, the
    credential in the environment; returns the runner (status, events) and the job's artifacts."""
    environment = {k: v for k, v in lab_environment(lab).items() if k.startswith("AWS_") or k == "ANSIBLE_CONFIG"}
    environment.update(AWX_CREDENTIAL, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    private = tmp_path / playbook.replace(".yml", "")
    private.mkdir()
    runner = ansible_runner.run(private_data_dir=str(private), project_dir=str(REPO), playbook=f"playbooks/{playbook}",
                                extravars=extra_vars, envvars=environment, quiet=True, timeout=600)
    events = list(runner.events)
    # AWX takes a job's artifacts from the stats event (set_stats data).
    stats = next(e for e in events if e["event"] == "playbook_on_stats")
    return runner, events, stats["event_data"].get("artifact_data", {})


def test_an_awx_job_keeps_the_manifest_version_and_a_workflow_verifies_it(lab, demo, tmp_path):
    instance_id = demo["compromised_instance_id"]
    runner, events, artifacts = run_like_awx(lab, tmp_path, "respond.yml",
                                             survey_answers(ticket=TICKET, instance_ids=instance_id, aws_region=REGION))
    assert runner.status == "successful", runner.stdout.read()[-3000:]
    current = manifest_versions(lab, demo["bucket"])[0]
    assert artifacts["manifest_version_id"] == current["version_id"]
    assert artifacts["manifest_sha256"] == hashlib.sha256(current["body"]).hexdigest()
    assert artifacts["manifest_s3_uri"] == f"s3://{demo['bucket']}/{TICKET}/manifest.json"
    assert (artifacts["ticket"], artifacts["aws_region"], artifacts["evidence_bucket"]) == (TICKET, REGION, demo["bucket"])
    outcome = artifacts["instance_outcomes"][instance_id]
    recorded = current["manifest"]["instances"][instance_id]
    assert outcome["containment"] == recorded["outcome"]["containment"]["status"] == "isolated"
    assert outcome["volatile_capture"] == recorded["outcome"]["volatile_capture"]["status"]
    assert outcome["snapshots"] == [s["snapshot_id"] for s in recorded["snapshots"]] and len(outcome["snapshots"]) == 2
    # The workflow's next node: verify.yml with the workflow's survey answers and respond's artifacts.
    verify_vars = dict(survey_answers(ticket=TICKET, instance_ids=instance_id, aws_region=REGION), **artifacts)
    verified, verify_events, verify_artifacts = run_like_awx(lab, tmp_path, "verify.yml", verify_vars)
    assert verified.status == "successful" and verify_artifacts == {}, verified.stdout.read()[-3000:]
    # No credential of the responder in any job event (what AWX stores and shows).
    for event in events + verify_events:
        text = json.dumps(event)
        assert not [name for name, value in AWX_CREDENTIAL.items() if value in text], event["event"]
