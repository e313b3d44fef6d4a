# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading a finding by its id from the service that made it.

GuardDuty: GetFindings needs the detector id, and a Region has at most one
detector (GuardDuty API Reference, CreateDetector), so ListDetectors finds it.
Security Hub: GetFindings filtered on the finding's Id.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.finding.shapes import FindingError
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate


def read_guardduty(client, finding_id, region):
    """The GuardDuty finding (dict, as GetFindings returns it); FindingError when there is none."""
    detectors = paginate(client, "list_detectors").get("DetectorIds", [])
    if not detectors:
        raise FindingError(f"finding_id {finding_id!r}: GuardDuty has no detector in Region {region} (ListDetectors)")
    found = client.get_findings(aws_retry=True, DetectorId=detectors[0], FindingIds=[finding_id]).get("Findings", [])
    if not found:
        raise NotFoundError(f"finding_id {finding_id!r}: no such finding in GuardDuty detector {detectors[0]} in {{where}} (GetFindings)", region=region)
    finding_shape = client.meta.service_model.operation_model("GetFindings").output_shape.members["Findings"].member
    return wire_names(finding_shape, found[0])


def read_securityhub(client, finding_id, region):
    """The ASFF finding (dict); FindingError when Security Hub has none with that Id."""
    found = client.get_findings(aws_retry=True, Filters={"Id": [{"Value": finding_id, "Comparison": "EQUALS"}]}).get("Findings", [])
    if not found:
        raise NotFoundError(f"finding_id {finding_id!r}: no such finding in Security Hub in {{where}} (GetFindings)", region=region)
    return found[0]


def wire_names(shape, value):
    """value (as boto3 parsed it, with the model's member names: AccountId) under the names the API's JSON and
    EventBridge use (accountId), read from the service model's serialization names, so nothing is guessed."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        return {(shape.members[k].serialization.get("name", k) if k in shape.members else k):
                wire_names(shape.members.get(k), v) for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [wire_names(shape.member, v) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: wire_names(shape.value, v) for k, v in value.items()}
    return value
