"""One ticket, one identity (issue 13, case 6), against the lab: the outcome read back with boto3 and the request log.

The instance docs/tickets.md says to tag (IncidentTicket=IR/2026/017) is found and keeps its tag; an instance under another
ticket is refused before any change, by respond.yml and by ec2_quarantine alone; a second spelling of a ticket whose case
key already holds a manifest (INC 123456, INC/123456, inc-123456 after INC-123456) is refused, naming both.
"""

import pytest

from lab.scene import build_demo_scene
from tests.end_to_end.support import REGION
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_module
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import task_result

RAW = "IR/2026/017"
KEY = "IR-2026-017"  # RAW with each "/" made "-" (docs/tickets.md)
RAW_PATTERN = r"^IR/[0-9]{4}/[0-9]+$"
PREFLIGHT = "secops.aws_ir.preflight : Check ticket, targets, evidence bucket, credentials and SSM reachability"


def demo_tagged(lab, ticket):
    """A fresh demo estate whose compromised instance a responder tagged IncidentTicket=<ticket>, and an empty request log."""
    lab.reset()
    scene = build_demo_scene(lab.endpoint_url, region=REGION, ticket=ticket)
    lab.clear_requests()
    return scene


def ticket_tag(lab, instance_id):
    tags = aws(lab, "ec2").describe_tags(Filters=[{"Name": "resource-id", "Values": [instance_id]}, {"Name": "key", "Values": ["IncidentTicket"]}])
    return [t["Value"] for t in tags["Tags"]]


def ticket_tags_written(requests, resource_id):
    """The IncidentTicket values that CreateTags requests of the log set on resource_id."""
    values = []
    for request in (r for r in requests if r["action"] == "CreateTags" and r["status"] == 200):
        params = request["params"]
        if resource_id in [v for k, v in params.items() if k.startswith("ResourceId.")]:
            values += [params[k[:-len("Key")] + "Value"] for k, v in params.items() if k.startswith("Tag.") and k.endswith(".Key") and v == "IncidentTicket"]
    return values


@pytest.mark.parametrize("targets", [{}, {"instance_ids": "<compromised>"}], ids=["discovered by tag", "given by id"])
def test_an_instance_tagged_with_the_raw_ticket_is_responded_to_and_keeps_its_tag(lab, targets):
    scene = demo_tagged(lab, RAW)
    instance_id = scene["compromised_instance_id"]
    variables = {"ticket": RAW, "ticket_pattern": RAW_PATTERN, **{k: [instance_id] for k in targets}}
    code, output = run_playbook(lab, "respond.yml", extra_vars=variables)
    assert code == 0, task_result(output, "Fail the run when a stage failed")
    assert task_result(output, PREFLIGHT)["instance_ids"] == [instance_id]
    # The responder's tag stays as written: never rewritten with the case key.
    assert ticket_tag(lab, instance_id) == [RAW]
    assert ticket_tags_written(lab.requests(), instance_id) == []
    # The case's record lives under the key, and holds the ticket as given and the instance.
    [version] = manifest_versions(lab, scene["bucket"], KEY)
    assert version["manifest"]["ticket"] == {"raw": RAW, "normalized": KEY}
    assert list(version["manifest"]["instances"]) == [instance_id]
    # The other web server, not tagged, is untouched.
    assert ticket_tag(lab, scene["instance_ids"][1]) == []


def test_a_second_ticket_on_an_instance_is_refused_before_any_change_naming_the_first(lab):
    scene = demo_tagged(lab, TICKET)
    instance_id = scene["compromised_instance_id"]
    expected = (f"ticket 'INC-654321': {instance_id} (IncidentTicket='{TICKET}') already under another ticket; an instance belongs to one case: "
                "respond under that ticket, or have its owner remove the tag first")
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": "INC-654321", "instance_ids": [instance_id]})
    assert code != 0
    assert task_result(output, PREFLIGHT)["msg"] == expected
    # ec2_quarantine alone (another playbook) refuses too, before its first change.
    result = run_module(lab, "ec2_quarantine", {"instance_ids": [instance_id], "ticket": "INC-654321"})
    assert result["failed"] and result["msg"] == expected and result["actions"] == []
    assert mutating(lab.requests()) == []
    assert ticket_tag(lab, instance_id) == [TICKET]
    assert aws(lab, "s3").list_object_versions(Bucket=scene["bucket"]).get("Versions", []) == []


def test_a_second_spelling_of_a_ticket_whose_case_has_a_manifest_is_refused_naming_both(lab):
    scene = demo_tagged(lab, TICKET)
    instance_id = scene["compromised_instance_id"]
    code, _output = run_playbook(lab, "respond.yml")
    assert code == 0
    [first] = manifest_versions(lab, scene["bucket"])
    where = f"s3://{scene['bucket']}/{TICKET}/manifest.json"
    for spelling in ("INC 123456", "INC/123456", "inc-123456"):
        lab.clear_requests()
        variables = {"ticket": spelling, "ticket_pattern": r"^[A-Za-z]+[ /-][0-9]+$", "instance_ids": [instance_id]}
        code, output = run_playbook(lab, "respond.yml", extra_vars=variables)
        assert code != 0
        assert task_result(output, PREFLIGHT)["msg"] == (
            f"ticket '{spelling}' has the case key '{TICKET}', whose manifest {where} is the record of ticket '{TICKET}': "
            f"one case has one ticket; give ticket='{TICKET}' to continue that case, or a ticket with another key")
        assert mutating(lab.requests()) == []
    # The case still has the one version the first run wrote, and no second case was started under another key.
    assert [v["version_id"] for v in manifest_versions(lab, scene["bucket"])] == [first["version_id"]]
    keys = {o["Key"].split("/")[0] for o in aws(lab, "s3").list_object_versions(Bucket=scene["bucket"]).get("Versions", [])}
    assert keys == {TICKET}
