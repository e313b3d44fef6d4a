"""respond.yml launched the way the AWX job template launches it: survey answers as extra
variables, each the type AWX sends (text and multiple choice as strings)."""

import pytest
import yaml

from tests.integration.support import REGION
from tests.integration.support import REPO
from tests.integration.support import TICKET
from tests.integration.support import aws
from tests.integration.support import run_playbook

SURVEY = yaml.safe_load((REPO / "extensions" / "awx" / "surveys" / "respond.yml").read_text(encoding="utf-8"))


def survey_answers(**answers):
    """What AWX puts in extra_vars: every question's answer, the default where none was given."""
    extra_vars = {q["variable"]: q.get("default", "") for q in SURVEY["spec"]}
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
