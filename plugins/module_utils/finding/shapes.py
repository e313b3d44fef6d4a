# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Telling apart the shapes a finding arrives in, and reading the same facts out of each.

Shapes (docs/findings.md): an EventBridge event from GuardDuty (detail-type
"GuardDuty Finding", the finding in detail) or from Security Hub ("Security Hub
Findings - Imported" / "- Custom Action", ASFF findings in detail.findings), a
bare GuardDuty finding (GuardDuty GetFindings' Finding), a bare ASFF finding
(Security Hub GetFindings' AwsSecurityFinding), or a list of any of these.

Each finding becomes one summary: source, id, the account and Region it belongs
to, severity (label and the source's own score), types, title and the EC2
instances it names, each with its own account and Region. An aggregated event's
"account" is the administrator's, so accounts are read from the finding itself.
"""

import re

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError

SOURCE_GUARDDUTY = "guardduty"
SOURCE_SECURITYHUB = "securityhub"
SOURCES = (SOURCE_GUARDDUTY, SOURCE_SECURITYHUB)

GUARDDUTY_DETAIL_TYPE = "GuardDuty Finding"
SECURITYHUB_DETAIL_TYPES = ("Security Hub Findings - Imported", "Security Hub Findings - Custom Action")
# The severity labels of ASFF (Security Hub API Reference, Severity), lowest first.
SEVERITY_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
# GuardDuty User Guide, "Severity levels for GuardDuty findings": the lower bound of each label's range.
_GUARDDUTY_SEVERITY_FLOORS = ((9.0, "CRITICAL"), (7.0, "HIGH"), (4.0, "MEDIUM"), (1.0, "LOW"))
INSTANCE_ARN = re.compile(r"^arn:aws[a-z-]*:ec2:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):instance/(?P<id>i-[0-9a-f]+)$")


class FindingError(AwsIrError, ValueError):
    """Input that is not a finding of a known shape; the message says where it looked."""


def guardduty_severity_label(score):
    """The GuardDuty severity label of a numeric severity (1.0 to 10.0)."""
    for floor, label in _GUARDDUTY_SEVERITY_FLOORS:
        if score >= floor:
            return label
    return "INFORMATIONAL"


def shape_of(item):
    """Which shape item has: guardduty_event, securityhub_event, guardduty_finding or asff_finding."""
    if not isinstance(item, dict):
        raise FindingError(f"a finding must be a JSON object, got {type(item).__name__}")
    detail_type = item.get("detail-type")
    if detail_type == GUARDDUTY_DETAIL_TYPE:
        return "guardduty_event"
    if detail_type in SECURITYHUB_DETAIL_TYPES:
        return "securityhub_event"
    if detail_type is not None:
        raise FindingError(f"EventBridge event {item.get('id')!r} has detail-type {detail_type!r}; "
                           f"expected {GUARDDUTY_DETAIL_TYPE!r} or one of {list(SECURITYHUB_DETAIL_TYPES)}")
    if "SchemaVersion" in item and "ProductArn" in item:
        return "asff_finding"
    if "schemaVersion" in item and "resource" in item and "accountId" in item:
        return "guardduty_finding"
    raise FindingError("not a finding: expected an EventBridge event (detail-type), a GuardDuty finding "
                       "(schemaVersion, accountId, resource) or an ASFF finding (SchemaVersion, ProductArn); "
                       f"got the keys {sorted(item)[:12]}")


def parse(value):
    """Summaries (list of dict, see summarize_*) of every finding in value, in the order given.

    Each summary holds "finding": the finding object itself (without its event envelope) and
    "event": the envelope's id, detail-type and account, or None.
    """
    items = value if isinstance(value, list) else [value]
    if not items:
        raise FindingError("finding is an empty list")
    findings = []
    for item in items:
        shape = shape_of(item)
        if shape == "guardduty_event":
            findings.append(summarize_guardduty(_detail(item, dict), _envelope(item)))
        elif shape == "securityhub_event":
            findings += [summarize_asff(f, _envelope(item)) for f in _detail(item, dict).get("findings") or []]
        elif shape == "guardduty_finding":
            findings.append(summarize_guardduty(item, None))
        else:
            findings.append(summarize_asff(item, None))
    if not findings:
        raise FindingError("the Security Hub event holds no finding (detail.findings is empty)")
    return findings


def _detail(event, kind):
    detail = event.get("detail")
    if not isinstance(detail, kind):
        raise FindingError(f"EventBridge event {event.get('id')!r}: detail is missing or not an object")
    return detail


def _envelope(event):
    return {"id": event.get("id"), "detail_type": event["detail-type"], "account": event.get("account"),
            "region": event.get("region"), "time": event.get("time")}


def _required(finding, field, where):
    value = finding.get(field)
    if value in (None, ""):
        raise FindingError(f"{where} has no {field}")
    return value


def summarize_guardduty(finding, event):
    """Summary of a GuardDuty finding (GuardDuty API Reference, Finding)."""
    finding_id = _required(finding, "id", "the GuardDuty finding")
    where = f"GuardDuty finding {finding_id}"
    account, region = _required(finding, "accountId", where), _required(finding, "region", where)
    score = float(_required(finding, "severity", where))
    resource = finding.get("resource") or {}
    instances = []
    if resource.get("resourceType") == "Instance":
        instance_id = (resource.get("instanceDetails") or {}).get("instanceId")
        if instance_id:
            instances.append({"instance_id": instance_id, "account_id": account, "region": region})
    return {
        "source": SOURCE_GUARDDUTY, "id": finding_id, "arn": finding.get("arn"), "product_arn": None,
        "account_id": account, "region": region,
        "severity": {"label": guardduty_severity_label(score), "score": score},
        "types": [_required(finding, "type", where)], "title": finding.get("title") or "",
        "resource_types": [resource.get("resourceType")] if resource.get("resourceType") else [],
        "instances": instances, "created_at": finding.get("createdAt"), "updated_at": finding.get("updatedAt"),
        "event": event, "finding": finding,
    }


def summarize_asff(finding, event):
    """Summary of an ASFF finding (Security Hub API Reference, AwsSecurityFinding)."""
    finding_id = _required(finding, "Id", "the ASFF finding")
    where = f"Security Hub finding {finding_id}"
    severity = finding.get("Severity") or {}
    label = severity.get("Label")
    if label not in SEVERITY_LABELS:
        raise FindingError(f"{where}: Severity.Label {label!r} is not one of {list(SEVERITY_LABELS)}")
    resources = finding.get("Resources") or []
    instances = [_asff_instance(r, where) for r in resources if r.get("Type") == "AwsEc2Instance"]
    return {
        "source": SOURCE_SECURITYHUB, "id": finding_id, "arn": None, "product_arn": _required(finding, "ProductArn", where),
        "account_id": _required(finding, "AwsAccountId", where), "region": finding.get("Region") or _arn_region(finding["ProductArn"]),
        "severity": {"label": label, "score": severity.get("Product", severity.get("Normalized"))},
        "types": list(finding.get("Types") or []), "title": finding.get("Title") or "",
        "resource_types": [r.get("Type") for r in resources],
        "instances": instances, "created_at": finding.get("CreatedAt"), "updated_at": finding.get("UpdatedAt"),
        "event": event, "finding": finding,
    }


def _asff_instance(resource, where):
    match = INSTANCE_ARN.match(resource.get("Id") or "")
    if not match:
        raise FindingError(f"{where}: the AwsEc2Instance resource's Id {resource.get('Id')!r} is not an EC2 instance ARN "
                           "(arn:aws:ec2:<region>:<account>:instance/i-...)")
    return {"instance_id": match["id"], "account_id": match["account"], "region": match["region"]}


def _arn_region(arn):
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else None
