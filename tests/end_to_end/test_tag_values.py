"""Tags whose values are not strings: AWS stores every tag value as a string (EC2 API Reference, Tag: Value, Type: String),
so a module given tags: {Priority: 1} must compare "1" with "1", not 1 with "1", or it tags again on every run."""

from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_module

# Every kind of non-string value YAML and Jinja give a module (int, float, bool, null), and the text amazon.aws's modules
# store for each (tagging.ansible_dict_to_boto3_tag_list: to_native of the value).
GIVEN = {"Priority": 1, "Weight": 1.5, "Frozen": True, "Reviewed": False, "Owner": None}
STORED = {"Priority": "1", "Weight": "1.5", "Frozen": "True", "Reviewed": "False", "Owner": "None"}


def instance_tags(ec2, instance_id):
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    return {t["Key"]: t["Value"] for t in instance.get("Tags", [])}


def test_ec2_quarantine_stores_non_string_values_as_text_and_tags_only_once(lab, demo):
    instance_id = demo["instance_ids"][0]
    args = dict(instance_ids=[instance_id], ticket=TICKET, tags=GIVEN)
    first = run_module(lab, "ec2_quarantine", args)
    assert not first.get("failed"), first.get("msg", first)
    tagging = [r["after"]["tags"] for r in first["actions"] if r["action"] == "CreateTags" and "Priority" in r["after"]["tags"]]
    assert len(tagging) == 1 and {k: tagging[0][k] for k in GIVEN} == STORED
    assert {k: v for k, v in instance_tags(aws(lab, "ec2"), instance_id).items() if k in GIVEN} == STORED

    lab.clear_requests()
    second = run_module(lab, "ec2_quarantine", args)
    assert not second.get("failed"), second.get("msg", second)
    assert [r["action"] for r in mutating(lab.requests())] == []
    assert second["changed"] is False and second["actions"] == []
