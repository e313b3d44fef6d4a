"""GuardDuty GetFindings (emulated) and Security Hub GetFindings filters and BatchUpdateFindings (emulated), as AWS documents them."""
import json
import pathlib

import pytest

from tests.lab.conftest import error_code

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "findings"
SAMPLE_DETECTOR = "12c6b1fd2b3e8e1c5a7d4f0e9b2c3a40"


def sample(name, detector=SAMPLE_DETECTOR):
    return json.loads((FIXTURES / name).read_text().replace(SAMPLE_DETECTOR, detector))


@pytest.fixture
def detector(aws):
    return aws("guardduty").create_detector(Enable=True)["DetectorId"]


def test_guardduty_get_findings_returns_a_planted_finding_by_detector_and_id(lab, aws, detector):
    finding = sample("guardduty-finding.json", detector)
    assert lab.plant_guardduty_findings([finding]) == [finding["id"]]
    guardduty = aws("guardduty")
    assert guardduty.list_detectors()["DetectorIds"] == [detector]
    [found] = guardduty.get_findings(DetectorId=detector, FindingIds=[finding["id"], "0" * 32])["Findings"]
    # boto3 gives the model's member names; the values are the finding's.
    assert found["AccountId"] == "123456789012"
    assert found["Resource"]["InstanceDetails"]["InstanceId"] == "i-0123456789abcdef0"
    assert found["Severity"] == 8.0 and found["Type"] == "Backdoor:EC2/C&CActivity.B!DNS"
    assert [(e["service"], e["action"]) for e in lab.requests()][-1] == ("guardduty", "GetFindings")


def test_guardduty_get_findings_leaves_out_unknown_ids(aws, detector):
    assert aws("guardduty").get_findings(DetectorId=detector, FindingIds=["0" * 32])["Findings"] == []


def test_guardduty_get_findings_refuses_a_detector_the_account_does_not_own(aws, detector):
    del detector
    assert error_code(lambda: aws("guardduty").get_findings(DetectorId="f" * 32, FindingIds=["0" * 32])) == "BadRequestException"


def test_guardduty_get_findings_takes_at_most_50_ids(aws, detector):
    assert error_code(lambda: aws("guardduty").get_findings(DetectorId=detector, FindingIds=[f"{n:032x}" for n in range(51)])) == "BadRequestException"


def test_a_finding_cannot_be_planted_without_its_detector(lab):
    with pytest.raises(RuntimeError, match="CreateDetector first"):
        lab.plant_guardduty_findings([sample("guardduty-finding.json")])


@pytest.fixture
def hub(aws):
    securityhub = aws("securityhub")
    securityhub.enable_security_hub()
    findings = sample("securityhub-imported-event.json")["detail"]["findings"]
    securityhub.batch_import_findings(Findings=findings)
    return securityhub, findings


def test_security_hub_get_findings_applies_the_id_filter(hub):
    securityhub, findings = hub
    found = securityhub.get_findings(Filters={"Id": [{"Value": findings[1]["Id"], "Comparison": "EQUALS"}]})["Findings"]
    assert [f["Id"] for f in found] == [findings[1]["Id"]]


def test_security_hub_filters_or_equal_values_and_and_not_equal_ones(hub):
    securityhub, findings = hub
    both = {"Id": [{"Value": f["Id"], "Comparison": "EQUALS"} for f in findings]}
    assert len(securityhub.get_findings(Filters=both)["Findings"]) == 2
    neither = {"Id": [{"Value": f["Id"], "Comparison": "NOT_EQUALS"} for f in findings]}
    assert securityhub.get_findings(Filters=neither)["Findings"] == []
    prefix = {"ResourceId": [{"Value": "arn:aws:ec2:us-east-1:123456789012:instance/i-0fed", "Comparison": "PREFIX"}]}
    assert [f["Id"] for f in securityhub.get_findings(Filters=prefix)["Findings"]] == [findings[1]["Id"]]


def test_security_hub_get_findings_pages_by_max_results(hub):
    securityhub, findings = hub
    first = securityhub.get_findings(MaxResults=1)
    second = securityhub.get_findings(MaxResults=1, NextToken=first["NextToken"])
    assert [first["Findings"][0]["Id"], second["Findings"][0]["Id"]] == [f["Id"] for f in findings]
    assert "NextToken" not in second


def test_batch_update_findings_sets_workflow_status_and_note_but_not_updated_at(hub):
    securityhub, findings = hub
    target = {"Id": findings[0]["Id"], "ProductArn": findings[0]["ProductArn"]}
    answer = securityhub.batch_update_findings(FindingIdentifiers=[target], Workflow={"Status": "NOTIFIED"},
                                               Note={"Text": "contained", "UpdatedBy": "secops.aws_ir"})
    assert answer["ProcessedFindings"] == [target] and answer["UnprocessedFindings"] == []
    [found] = securityhub.get_findings(Filters={"Id": [{"Value": target["Id"], "Comparison": "EQUALS"}]})["Findings"]
    assert found["Workflow"] == {"Status": "NOTIFIED"}
    assert found["Note"]["Text"] == "contained" and found["Note"]["UpdatedBy"] == "secops.aws_ir" and found["Note"]["UpdatedAt"]
    assert found["UpdatedAt"] == findings[0]["UpdatedAt"]
    [other] = securityhub.get_findings(Filters={"Id": [{"Value": findings[1]["Id"], "Comparison": "EQUALS"}]})["Findings"]
    assert other["Workflow"] == {"Status": "NEW"} and "Note" not in other


def test_batch_update_findings_reports_unknown_and_duplicated_identifiers(hub):
    securityhub, findings = hub
    known = {"Id": findings[0]["Id"], "ProductArn": findings[0]["ProductArn"]}
    unknown = {"Id": "arn:aws:guardduty:us-east-1:123456789012:detector/x/finding/y", "ProductArn": findings[0]["ProductArn"]}
    answer = securityhub.batch_update_findings(FindingIdentifiers=[known, known, unknown], Workflow={"Status": "RESOLVED"})
    codes = [(u["FindingIdentifier"]["Id"], u["ErrorCode"], u["ErrorMessage"]) for u in answer["UnprocessedFindings"]]
    assert codes == [(known["Id"], "DuplicatedFindingIdentifier", "Finding Identifier is duplicated")] * 2 + [
        (unknown["Id"], "FindingNotFound", "Finding Not Found")]
    assert answer["ProcessedFindings"] == []


def test_batch_update_findings_refuses_a_note_over_512_characters(hub):
    securityhub, findings = hub
    target = {"Id": findings[0]["Id"], "ProductArn": findings[0]["ProductArn"]}
    assert error_code(lambda: securityhub.batch_update_findings(
        FindingIdentifiers=[target], Note={"Text": "x" * 513, "UpdatedBy": "secops.aws_ir"})) == "InvalidInputException"


def test_security_hub_calls_fail_in_an_account_without_security_hub(aws):
    securityhub = aws("securityhub")
    assert error_code(securityhub.get_findings) == "InvalidAccessException"
