# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Evidence no manifest version records: what is left when a version was deleted (or never written).

The chain can only be walked from the newest version that is still there: deleting the newest version
(a GOVERNANCE retention can be bypassed) leaves a shorter chain that is intact. The evidence that only
the deleted version recorded is still there, though: object versions under the ticket's prefix and
snapshots tagged with the ticket. Each one no version records is a finding.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import s3_uri
from ansible_collections.secops.aws_ir.plugins.module_utils.record.case_report import REPORT_HTML
from ansible_collections.secops.aws_ir.plugins.module_utils.record.case_report import REPORT_MARKDOWN
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.lease import LEASE_NAME
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest import MANIFEST_NAME
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate
from ansible_collections.secops.aws_ir.plugins.module_utils.common import TICKET_TAG_KEY

# The collection's own records under a ticket's prefix: checked by the chain itself, or not evidence (the lease).
_RECORDS = (MANIFEST_NAME, REPORT_HTML, REPORT_MARKDOWN, LEASE_NAME)


def _finding(obj, problem):
    return {"object": obj, "problem": problem}


def unrecorded_objects(client, bucket, ticket, artifacts):
    """Findings for object versions under <ticket>/ (but the records) that no version records as an artifact."""
    recorded = {(a["s3_uri"], a.get("version_id")) for a in artifacts}
    records = {f"{ticket}/{name}" for name in _RECORDS}
    findings = []
    for version in paginate(client, "list_object_versions", Bucket=bucket, Prefix=f"{ticket}/").get("Versions", []):
        uri = s3_uri(bucket, version["Key"])
        if version["Key"] not in records and (uri, version["VersionId"]) not in recorded:
            findings.append(_finding(f"{uri} version {version['VersionId']}", "is under the ticket's prefix but no manifest version records it"))
    return findings


def unrecorded_snapshots(ec2, ticket, snapshots):
    """Findings for snapshots of this account tagged IncidentTicket=<ticket> that no version records."""
    recorded = {s["snapshot_id"] for s in snapshots}
    findings = []
    tagged = paginate(ec2, "describe_snapshots", OwnerIds=["self"], Filters=[{"Name": f"tag:{TICKET_TAG_KEY}", "Values": [ticket]}])
    for snapshot in tagged.get("Snapshots", []):
        if snapshot["SnapshotId"] not in recorded:
            findings.append(_finding(snapshot["SnapshotId"], f"is tagged {TICKET_TAG_KEY}={ticket} (of {snapshot.get('VolumeId')}) "
                                                             "but no manifest version records it"))
    return findings
