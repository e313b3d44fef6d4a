"""Reading a finding by id: GuardDuty through its Region's detector, Security Hub by its Id filter."""

import boto3
import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError

from ansible_collections.secops.aws_ir.plugins.module_utils.finding import service
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import FindingError


class Meta:
    service_model = boto3.session.Session().client("guardduty", region_name="us-east-1").meta.service_model


def guardduty(fake_client, detectors, findings):
    client = fake_client(list_detectors={"DetectorIds": detectors}, get_findings={"Findings": findings})
    client.meta = Meta
    return client


def test_a_guardduty_finding_is_read_through_the_detector_and_given_its_json_names(fake_client, sample):
    wire = sample("guardduty-finding.json")
    boto3_details = {"InstanceId": "i-0123456789abcdef0", "NetworkInterfaces": [{"Ipv6Addresses": []}]}
    as_boto3 = {"AccountId": wire["accountId"], "Id": wire["id"], "Severity": 8.0, "Type": wire["type"],
                "Resource": {"ResourceType": "Instance", "InstanceDetails": boto3_details}}
    client = guardduty(fake_client, ["d1"], [as_boto3])
    found = service.read_guardduty(client, wire["id"], "us-east-1")
    details = {"instanceId": "i-0123456789abcdef0", "networkInterfaces": [{"ipv6Addresses": []}]}
    assert found == {"accountId": wire["accountId"], "id": wire["id"], "severity": 8.0, "type": wire["type"],
                     "resource": {"resourceType": "Instance", "instanceDetails": details}}
    assert client.calls[-1] == ("get_findings", {"DetectorId": "d1", "FindingIds": [wire["id"]]})


@pytest.mark.parametrize("detectors, findings, error, words", [
    ([], [], FindingError, "GuardDuty has no detector in Region us-east-1"),
    (["d1"], [], NotFoundError, "no such finding in GuardDuty detector d1 in account 123456789012, Region us-east-1"),
])
def test_a_guardduty_finding_that_cannot_be_read_names_why(fake_client, detectors, findings, error, words):
    with pytest.raises(error) as raised:
        service.read_guardduty(guardduty(fake_client, detectors, findings), "f1", "us-east-1")
    assert words in getattr(raised.value, "located", lambda *where: str(raised.value))("123456789012", "eu-west-1")


def test_a_security_hub_finding_is_read_by_its_id(fake_client, sample):
    asff = sample("asff-finding.json")
    client = fake_client(service="securityhub", get_findings={"Findings": [asff]})
    assert service.read_securityhub(client, asff["Id"], "us-east-1") == asff
    assert client.calls == [("get_findings", {"Filters": {"Id": [{"Value": asff["Id"], "Comparison": "EQUALS"}]}})]
    with pytest.raises(NotFoundError) as raised:
        service.read_securityhub(fake_client(service="securityhub", get_findings={"Findings": []}), asff["Id"], "us-east-1")
    assert raised.value.located("123456789012", "eu-west-1").endswith("no such finding in Security Hub in account 123456789012, Region us-east-1 (GetFindings)")
