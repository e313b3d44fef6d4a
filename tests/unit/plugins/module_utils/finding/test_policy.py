"""What a run acts on, what it refuses and why, and the ticket a finding gives."""

import re

from ansible_collections.secops.aws_ir.plugins.module_utils.finding import policy
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import parse
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import DEFAULT_TICKET_PATTERN
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket

REACH = {"account_id": "123456789012", "region": "us-east-1"}


def one(sample, name):
    return parse(sample(name))[0]


def test_a_high_guardduty_finding_on_an_instance_is_acted_on(sample):
    assert policy.refusal(one(sample, "guardduty-event.json"), "MEDIUM", [], REACH) is None


def test_below_min_severity_is_refused_naming_severity_and_threshold(sample):
    reason = policy.refusal(one(sample, "guardduty-event-low.json"), "MEDIUM", [], REACH)
    assert reason == "severity LOW (score 2.0) is below min_severity MEDIUM"


def test_a_type_outside_the_allow_list_is_refused_and_patterns_match_whole_types(sample):
    finding = one(sample, "guardduty-event.json")
    assert policy.refusal(finding, "LOW", ["Backdoor:EC2/*"], REACH) is None
    assert "matches finding_types" in policy.refusal(finding, "LOW", ["Backdoor:EC2"], REACH)


def test_a_finding_naming_no_instance_is_refused(sample):
    assert policy.refusal(one(sample, "guardduty-event-s3.json"), "LOW", [], REACH) == "it names no EC2 instance (resource types ['S3Bucket'])"


def test_an_instance_in_another_account_or_region_is_refused_naming_both(sample):
    finding = one(sample, "guardduty-event.json")
    reason = policy.refusal(finding, "LOW", [], {"account_id": "210987654321", "region": "us-east-1"})
    assert "account 123456789012, Region us-east-1" in reason and "account 210987654321" in reason
    assert "Region eu-west-1" in policy.refusal(finding, "LOW", [], {"account_id": "123456789012", "region": "eu-west-1"})


def test_select_keeps_the_order_and_tells_every_refusal(sample):
    findings = parse([sample("guardduty-event-low.json"), sample("guardduty-event.json"), sample("guardduty-event-s3.json")])
    acted, refused = policy.select(findings, "MEDIUM", [], REACH)
    assert [f["id"] for f in acted] == ["6ac6b1fd2b3e8e1c5a7d4f0e9b2c3a41"]
    assert [r["finding"]["id"] for r in refused] == ["9ac6b1fd2b3e8e1c5a7d4f0e9b2c3a77", "0bc6b1fd2b3e8e1c5a7d4f0e9b2c3a88"]


def test_the_derived_ticket_is_stable_plain_ascii_and_matches_the_default_pattern(sample):
    gd = parse(sample("guardduty-event.json"))
    sh = parse(sample("securityhub-imported-event.json"))
    ticket = policy.derived_ticket(gd)
    assert re.fullmatch(r"GD-[0-9]{10}", ticket)
    assert ticket == policy.derived_ticket(parse(sample("guardduty-finding.json")))
    assert re.fullmatch(r"SH-[0-9]{10}", policy.derived_ticket(sh))
    # The same findings in another order give the same ticket.
    assert policy.derived_ticket(sh) == policy.derived_ticket(list(reversed(sh)))
    validate_ticket(ticket, DEFAULT_TICKET_PATTERN)


def test_the_derived_ticket_is_the_documented_digest(sample):
    import hashlib
    digest = hashlib.sha256(b"6ac6b1fd2b3e8e1c5a7d4f0e9b2c3a41").hexdigest()
    assert policy.derived_ticket(parse(sample("guardduty-event.json"))) == f"GD-{int(digest[:8], 16):010d}"


def test_instance_ids_are_each_named_once_in_order(sample):
    findings = parse([sample("securityhub-imported-event.json"), sample("asff-finding.json")])
    assert policy.instance_ids(findings) == ["i-0123456789abcdef0", "i-0fedcba9876543210"]


def test_with_a_member_role_an_instance_in_another_account_or_region_is_acted_on(sample):
    finding = one(sample, "guardduty-event.json")
    assert policy.refusal(finding, "LOW", [], None) is None
    # The other reasons still hold.
    assert "below min_severity" in policy.refusal(finding, "CRITICAL", [], None)


def test_instance_arns_name_account_and_region_each_once_in_order(sample):
    findings = parse([sample("securityhub-imported-event.json"), sample("asff-finding.json")])
    assert policy.instance_arns(findings, lambda region: "aws") == [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0", "arn:aws:ec2:us-east-1:123456789012:instance/i-0fedcba9876543210"]
    assert policy.instance_arns(findings[:1], lambda region: "aws-us-gov")[0].startswith("arn:aws-us-gov:ec2:us-east-1:")
