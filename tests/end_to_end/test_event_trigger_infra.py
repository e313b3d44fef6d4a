"""playbooks/event_trigger.yml: the queue, its policy and the EventBridge rule, idempotent and dry in check mode."""

import json

import pytest

from lab import Lab
from lab.scene import build_demo_scene
from tests.end_to_end.findings import sample
from tests.end_to_end.support import aws
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_playbook

QUEUE = "aws-ir-findings"


@pytest.fixture(scope="module")
def setup_lab():
    """A lab of its own: the trigger is made by whoever prepares the account, not by the responder, so its calls
    stay out of the calls the responder policy is compared with (test_responder_policy.py)."""
    with Lab() as running:
        yield running


def test_the_trigger_is_made_once_lets_only_its_rule_send_and_carries_findings_to_the_queue(setup_lab):
    lab = setup_lab
    demo = build_demo_scene(lab.endpoint_url)
    code, output = run_playbook(lab, "event_trigger.yml", "--check", extra_vars={"finding_queue_name": QUEUE})
    assert code == 0, json.dumps(output["stats"])
    assert mutating(lab.requests()) == []
    assert aws(lab, "sqs").list_queues().get("QueueUrls", []) == []

    code, output = run_playbook(lab, "event_trigger.yml", extra_vars={"finding_queue_name": QUEUE})
    assert code == 0 and output["stats"]["localhost"]["changed"] == 2, json.dumps(output["stats"])
    code, output = run_playbook(lab, "event_trigger.yml", extra_vars={"finding_queue_name": QUEUE})
    assert code == 0 and output["stats"]["localhost"]["changed"] == 0, json.dumps(output["stats"])

    sqs, events = aws(lab, "sqs"), aws(lab, "events")
    queue_url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    [statement] = json.loads(attributes["Policy"])["Statement"]
    rule = events.describe_rule(Name="aws-ir-findings")
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == attributes["QueueArn"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule["Arn"]}}
    assert json.loads(rule["EventPattern"]) == {"source": ["aws.guardduty", "aws.securityhub"], "detail-type": [
        "GuardDuty Finding", "Security Hub Findings - Imported", "Security Hub Findings - Custom Action"]}
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule="aws-ir-findings")["Targets"]] == [attributes["QueueArn"]]

    # A GuardDuty finding event reaches the queue as EventBridge sends it; another event does not.
    event = sample("guardduty-event.json", [demo["compromised_instance_id"]])
    events.put_events(Entries=[{"Source": event["source"], "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"])},
                               {"Source": "aws.ec2", "DetailType": "EC2 Instance State-change Notification", "Detail": "{}"}])
    [message] = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(message["Body"])
    assert body["detail-type"] == "GuardDuty Finding" and body["detail"] == event["detail"]
