# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which findings a run acts on, and the ticket a finding gives when none was given.

A finding is refused, with its id and the reason, when its severity is below
min_severity, none of its types is in the finding_types allow-list, it names no
EC2 instance, or one of its instances is in an account or Region this run cannot
reach (unless a member role reaches other accounts). A finding is acted on whole or not at all: half a response to a finding
would look like a whole one in the record.
"""

import fnmatch
import hashlib

from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import SEVERITY_LABELS
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import SOURCE_GUARDDUTY

# Derived tickets: "GD-" (GuardDuty) or "SH-" (Security Hub) and ten digits (docs/findings.md).
_TICKET_PREFIX = {SOURCE_GUARDDUTY: "GD"}
_TICKET_PREFIX_DEFAULT = "SH"


def describe(finding):
    """How a message names a finding: its source, id, type and severity."""
    types = ", ".join(finding["types"]) or "no type"
    return f"{finding['source']} finding {finding['id']} ({types}; severity {finding['severity']['label']})"


def refusal(finding, min_severity, finding_types, reach):
    """Why finding is not acted on (str), or None.

    reach: {"account_id", "region"} this run can act in; None when every account and Region can be reached
    (a member role, assumed per account: incident_targets checks each before any change).
    """
    label = finding["severity"]["label"]
    if SEVERITY_LABELS.index(label) < SEVERITY_LABELS.index(min_severity):
        return f"severity {label} (score {finding['severity']['score']}) is below min_severity {min_severity}"
    if finding_types and not any(fnmatch.fnmatchcase(t, p) for t in finding["types"] for p in finding_types):
        return f"none of its types {finding['types']} matches finding_types {finding_types}"
    if not finding["instances"]:
        return f"it names no EC2 instance (resource types {finding['resource_types'] or 'none'})"
    for instance in finding["instances"] if reach else []:
        if (instance["account_id"], instance["region"]) != (reach["account_id"], reach["region"]):
            return (f"instance {instance['instance_id']} is in account {instance['account_id']}, Region {instance['region']}; "
                    f"this run acts in account {reach['account_id']}, Region {reach['region']}")
    return None


def select(findings, min_severity, finding_types, reach):
    """(acted, refused): the findings to act on, and [{"finding" (summary), "reason"}] for the others."""
    acted, refused = [], []
    for finding in findings:
        reason = refusal(finding, min_severity, finding_types, reach)
        if reason is None:
            acted.append(finding)
        else:
            refused.append({"finding": finding, "reason": reason})
    return acted, refused


def derived_ticket(findings):
    """The ticket of a response to findings: GD- or SH- (by the first finding's source) and ten digits.

    The digits are the first 32 bits of the SHA-256 of the findings' ids (sorted, one per line)
    in decimal, so the same findings always give the same ticket and a re-run merges into the
    same manifest; only ASCII letters, digits and "-", so it matches the default ticket_pattern.
    """
    digest = hashlib.sha256("\n".join(sorted(f["id"] for f in findings)).encode("utf-8")).hexdigest()
    prefix = _TICKET_PREFIX.get(findings[0]["source"], _TICKET_PREFIX_DEFAULT)
    return f"{prefix}-{int(digest[:8], 16):010d}"


def instance_ids(findings):
    """Every instance the findings name, each once, in the order first named."""
    return list(dict.fromkeys(i["instance_id"] for f in findings for i in f["instances"]))


def instance_arns(findings, partition_of):
    """Every instance the findings name as its ARN (arn:PARTITION:ec2:REGION:ACCOUNT:instance/ID), each once, in the order first named.

    partition_of: Region -> partition (aws, aws-cn, aws-us-gov). The ARN carries the account and Region that the
    instance id alone does not, for a response in several accounts and Regions (incident_targets).
    """
    return list(dict.fromkeys(f"arn:{partition_of(i['region'])}:ec2:{i['region']}:{i['account_id']}:instance/{i['instance_id']}"
                              for f in findings for i in f["instances"]))
