"""The event-driven trigger end to end: ansible-rulebook (a real process, the decision environment .venv-de built by
scripts/decision-environment) runs the shipped rulebook against the lab's SQS queue."""

import json
import os
import subprocess
import time

import pytest
import yaml

from tests.end_to_end.findings import sample
from tests.end_to_end.support import REGION
from tests.end_to_end.support import REPO
from tests.end_to_end.support import aws
from tests.end_to_end.support import lab_environment
from tests.end_to_end.support import manifest_versions

RULEBOOK = REPO / "extensions" / "eda" / "rulebooks" / "respond_to_findings.yml"
INVENTORY = REPO / "extensions" / "eda" / "inventory" / "hosts.yml"
DECISION_ENVIRONMENT = REPO / ".venv-de"
QUEUE = "aws-ir-findings-test"
# How long the whole chain may take on a loaded 2-core machine before the test gives up (not a measured time).
DEADLINE_S = 240


def decision_environment():
    """The collection path scripts/decision-environment prints (it builds .venv-de once; scripts/test runs it first)."""
    done = subprocess.run([str(REPO / "scripts" / "decision-environment")], capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def wait_until(what, check, log):
    """Poll check() until it returns something true (its value), failing after DEADLINE_S with the end of the rulebook's log."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"gave up waiting for {what} after {DEADLINE_S} s; ansible-rulebook said:\n{log.read_text()[-6000:]}")


@pytest.fixture
def demo(demo_before_any_case):
    return demo_before_any_case


@pytest.fixture
def rulebook(lab, demo, tmp_path):
    """ansible-rulebook running the shipped rulebook (containment_preference contain_confirmed) on a fresh queue."""
    del demo
    collections = decision_environment()
    queue_url = aws(lab, "sqs").create_queue(QueueName=QUEUE)["QueueUrl"]
    variables = tmp_path / "vars.yml"
    variables.write_text(yaml.safe_dump({"finding_queue_name": QUEUE, "aws_region": REGION, "containment_preference": "contain_confirmed",
                                         "drools_db_file_path": str(tmp_path / "drools" / "state")}))
    env = dict(lab_environment(lab), ANSIBLE_COLLECTIONS_PATH=collections, AWS_ENDPOINT_URL=lab.endpoint_url,
               PATH=f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}", ANSIBLE_STDOUT_CALLBACK="default")
    log = (tmp_path / "rulebook.log").open("w")
    process = subprocess.Popen([str(DECISION_ENVIRONMENT / "bin" / "ansible-rulebook"), "--rulebook", str(RULEBOOK), "-i", str(INVENTORY),
                                "--vars", str(variables), "--persistence-id", "1"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    yield queue_url, tmp_path / "rulebook.log"
    process.terminate()
    process.wait(timeout=30)
    log.close()


def messages_left(lab, queue_url):
    attributes = aws(lab, "sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def contained_in_manifest(lab, bucket, ticket, instance_id):
    versions = manifest_versions(lab, bucket, ticket)
    if versions and versions[0]["manifest"]["instances"].get(instance_id, {}).get("snapshots"):
        return versions[0]
    return None


def test_the_shipped_rulebook_reads_the_queue_with_feedback():
    [ruleset] = yaml.safe_load(RULEBOOK.read_text())
    [source] = ruleset["sources"]
    assert source["secops.aws_ir.aws_sqs_queue"]["feedback"] is True


def test_a_guardduty_event_on_the_queue_is_contained_once_per_instance(lab, demo, rulebook):
    queue_url, rulebook_log = rulebook
    first, second = demo["instance_ids"]
    sqs = aws(lab, "sqs")
    event = sample("guardduty-event.json", [first])
    ticket = f"GD-{int(__import__('hashlib').sha256(event['detail']['id'].encode()).hexdigest()[:8], 16):010d}"

    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
    version = wait_until("the first instance recorded as contained and snapshotted",
                         lambda: contained_in_manifest(lab, demo["bucket"], ticket, first), rulebook_log)
    manifest = version["manifest"]
    assert manifest["instances"][first]["outcome"]["containment"]["status"] == "isolated"
    assert manifest["instances"][first]["artifacts"][0]["kind"] == "finding" and manifest["findings"][0]["id"] == event["detail"]["id"]
    ec2 = aws(lab, "ec2")
    interfaces = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [first]}])["NetworkInterfaces"]
    assert {g["GroupName"] for eni in interfaces for g in eni["Groups"]} == {"aws-ir-quarantine"}
    snapshots = ec2.describe_snapshots(Filters=[{"Name": "tag:SourceInstanceId", "Values": [first]}])["Snapshots"]
    assert len(snapshots) == len(demo["volume_ids"][first])
    per_run = [r for r in lab.requests() if (r["service"], r["action"]) == ("ssm", "DescribeInstanceInformation")]
    assert per_run, "the response asked SSM which instances it can reach"

    # The same event again (within the throttle window), a low-severity one, then one for the other instance:
    # rules fire in order, so once the last is contained, the two before it were handled.
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
    low = sample("guardduty-event-low.json", [first])
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(low))
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(sample("guardduty-event.json", [second])))
    wait_until("the second instance recorded as contained", lambda: contained_in_manifest(lab, demo["bucket"], ticket, second), rulebook_log)
    wait_until("every message deleted", lambda: messages_left(lab, queue_url) == 0, rulebook_log)

    # Two responses in all (the first event and the other instance's), each asking SSM the same.
    asked = [r for r in lab.requests() if (r["service"], r["action"]) == ("ssm", "DescribeInstanceInformation")]
    assert len(asked) == 2 * len(per_run), rulebook_log.read_text()[-4000:]
    low_ticket = f"GD-{int(__import__('hashlib').sha256(low['detail']['id'].encode()).hexdigest()[:8], 16):010d}"
    assert manifest_versions(lab, demo["bucket"], low_ticket) == []

    # Each message is deleted once, after it was received (feedback: once the rule engine handled its event).
    sqs_calls = [r for r in lab.requests() if r["service"] == "sqs" and r["action"] in ("ReceiveMessage", "DeleteMessageBatch")]
    deletes = [r for r in sqs_calls if r["action"] == "DeleteMessageBatch"]
    assert len(deletes) == 4
    assert all(any(c["action"] == "ReceiveMessage" and c["t"] < d["t"] for c in sqs_calls) for d in deletes)


UPSTREAM_CHECK = """
import asyncio, importlib.util, sys
sys.path.insert(0, sys.argv[1])
spec = importlib.util.spec_from_file_location("ours", sys.argv[2])
ours = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ours)
upstream = ours._upstream()

class Client:
    def __init__(self, answer):
        self.answer = answer
    async def delete_message_batch(self, **kwargs):
        return self.answer

entries = [{"Id": "m1", "ReceiptHandle": "h1"}]
deleted = {"Successful": [{"Id": "m1"}], "Failed": []}
refused = {"Successful": [], "Failed": [{"Id": "m1", "Code": "ReceiptHandleIsInvalid", "Message": "x", "SenderFault": True}]}
print([asyncio.run(f(Client(a), "q", entries)) for f in (upstream._delete_messages, ours.delete_messages) for a in (deleted, refused)])
"""


def test_amazon_aws_counts_an_empty_failed_list_as_a_failure_and_the_wrapper_does_not():
    collections = decision_environment()
    done = subprocess.run([str(DECISION_ENVIRONMENT / "bin" / "python"), "-c", UPSTREAM_CHECK, collections,
                           str(REPO / "extensions" / "eda" / "plugins" / "event_source" / "aws_sqs_queue.py")],
                          capture_output=True, text=True, timeout=120, check=False,
                          env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, PATH=f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"))
    assert done.returncode == 0, done.stderr[-3000:]
    # amazon.aws 11.4.0: a deletion SQS answered with "Failed": [] reads as failed; the wrapper reads it as done.
    assert done.stdout.strip() == "[False, False, True, False]"
