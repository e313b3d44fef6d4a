# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Names and values every part of secops.aws_ir agrees on."""

AWS_IR_COLLECTION_NAME = "secops.aws_ir"
AWS_IR_COLLECTION_VERSION = "1.0.0"

# Tag keys written on instances, volumes, snapshots and our security groups.
TICKET_TAG_KEY = "IncidentTicket"
EVIDENCE_TAG_KEY = "Evidence"
EVIDENCE_TAG_VALUE = "Yes"
ROLE_TAG_KEY = "IncidentResponseRole"

# Stages of the workflow, in the order respond.yml runs them; each module reports one.
STAGE_PREFLIGHT = "preflight"
STAGE_CONTAINMENT = "containment"
STAGE_VOLATILE = "volatile_capture"
STAGE_SNAPSHOT = "snapshot"
STAGE_MANIFEST = "manifest"
STAGES = (STAGE_PREFLIGHT, STAGE_CONTAINMENT, STAGE_VOLATILE, STAGE_SNAPSHOT, STAGE_MANIFEST)
# After the response, not stages of it: undoing the containment once the investigation allows it
# (ec2_quarantine state=absent, playbooks/release.yml), analysis in the forensic account
# (playbooks/analyze.yml), and the auditor's read-only check (playbooks/verify.yml).
STAGE_RELEASE = "release"
STAGE_ANALYSIS = "analysis"
STAGE_VERIFY = "verify"
# The per-ticket lease a run holds while it acts (evidence_lease): before respond's first change, until its record.
STAGE_LEASE = "lease"


class AwsIrError(Exception):
    """A failure the responder can act on; its message names the field, value or resource at fault."""
