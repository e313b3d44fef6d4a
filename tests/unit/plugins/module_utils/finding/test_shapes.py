"""Each shape a finding arrives in gives the same facts, read where the AWS documentation puts them."""

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import FindingError
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import guardduty_severity_label
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import parse
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import shape_of

GD_ID = "6ac6b1fd2b3e8e1c5a7d4f0e9b2c3a41"
SH_ID = f"arn:aws:guardduty:us-east-1:123456789012:detector/12c6b1fd2b3e8e1c5a7d4f0e9b2c3a40/finding/{GD_ID}"


@pytest.mark.parametrize("name, shape", [
    ("guardduty-event.json", "guardduty_event"),
    ("securityhub-imported-event.json", "securityhub_event"),
    ("securityhub-custom-action-event.json", "securityhub_event"),
    ("guardduty-finding.json", "guardduty_finding"),
    ("asff-finding.json", "asff_finding"),
])
def test_each_shape_is_told_apart(name, shape, sample):
    assert shape_of(sample(name)) == shape


def test_guardduty_event_gives_the_finding_account_not_the_administrator_account(sample):
    [finding] = parse(sample("guardduty-event.json"))
    assert finding["source"] == "guardduty"
    assert finding["id"] == GD_ID
    # The event's own account (111122223333) is the GuardDuty administrator's; the finding's accountId is the instance's.
    assert finding["account_id"] == "123456789012"
    assert finding["event"]["account"] == "111122223333"
    assert finding["region"] == "us-east-1"
    assert finding["severity"] == {"label": "HIGH", "score": 8.0}
    assert finding["types"] == ["Backdoor:EC2/C&CActivity.B!DNS"]
    assert finding["instances"] == [{"instance_id": "i-0123456789abcdef0", "account_id": "123456789012", "region": "us-east-1"}]
    assert finding["finding"] == sample("guardduty-finding.json")


def test_bare_guardduty_finding_has_no_envelope(sample):
    [finding] = parse(sample("guardduty-finding.json"))
    assert finding["event"] is None and finding["id"] == GD_ID


def test_securityhub_imported_event_gives_every_finding_and_instances_from_arns(sample):
    findings = parse(sample("securityhub-imported-event.json"))
    assert [f["source"] for f in findings] == ["securityhub", "securityhub"]
    assert findings[0]["id"] == SH_ID
    assert findings[0]["product_arn"] == "arn:aws:securityhub:us-east-1::product/aws/guardduty"
    assert [f["instances"][0]["instance_id"] for f in findings] == ["i-0123456789abcdef0", "i-0fedcba9876543210"]
    assert findings[1]["types"] == ["TTPs/Initial Access/UnauthorizedAccess:EC2-TorClient"]
    assert findings[0]["severity"]["label"] == "HIGH"


def test_custom_action_event_and_bare_asff_give_the_same_finding(sample):
    [from_action] = parse(sample("securityhub-custom-action-event.json"))
    [bare] = parse(sample("asff-finding.json"))
    assert from_action["event"]["detail_type"] == "Security Hub Findings - Custom Action"
    assert {k: v for k, v in from_action.items() if k != "event"} == {k: v for k, v in bare.items() if k != "event"}


def test_a_list_of_shapes_gives_every_finding_in_order(sample):
    findings = parse([sample("guardduty-finding.json"), sample("securityhub-imported-event.json")])
    assert [f["source"] for f in findings] == ["guardduty", "securityhub", "securityhub"]


def test_a_guardduty_finding_on_another_resource_names_no_instance(sample):
    [finding] = parse(sample("guardduty-event-s3.json"))
    assert finding["instances"] == [] and finding["resource_types"] == ["S3Bucket"]


@pytest.mark.parametrize("score, label", [(1.0, "LOW"), (3.9, "LOW"), (4.0, "MEDIUM"), (6.9, "MEDIUM"), (7.0, "HIGH"),
                                          (8.9, "HIGH"), (9.0, "CRITICAL"), (10.0, "CRITICAL")])
def test_guardduty_severity_labels_follow_the_guardduty_user_guide(score, label):
    assert guardduty_severity_label(score) == label


@pytest.mark.parametrize("value, words", [
    ({"detail-type": "EC2 Instance State-change Notification", "id": "e1", "detail": {}}, "EC2 Instance State-change Notification"),
    ({"hello": 1}, "not a finding"),
    ([], "empty list"),
    ("text", "must be a JSON object"),
    ({"detail-type": "Security Hub Findings - Imported", "id": "e2", "detail": {"findings": []}}, "holds no finding"),
])
def test_what_is_not_a_finding_is_refused_saying_why(value, words):
    with pytest.raises(FindingError, match=words):
        parse(value)


def test_an_asff_instance_resource_whose_id_is_not_an_instance_arn_is_refused(sample):
    finding = sample("asff-finding.json")
    finding["Resources"][0]["Id"] = "i-0123456789abcdef0"
    with pytest.raises(FindingError, match="not an EC2 instance ARN"):
        parse(finding)
