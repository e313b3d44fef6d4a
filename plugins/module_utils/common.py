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

# Before any incident: an administrator prepares the account (playbooks/prepare.yml, ec2_quarantine_groups).
STAGE_PREPARATION = "preparation"
# Stages of the workflow, in the order respond.yml runs them; each module reports one.
# Detection (the finding the response starts from) comes first when there is a finding.
STAGE_DETECTION = "detection"
STAGE_PREFLIGHT = "preflight"
STAGE_CONTAINMENT = "containment"
STAGE_VOLATILE_CAPTURE = "volatile_capture"
STAGE_SNAPSHOT = "snapshot"
STAGE_RECORD = "record"
STAGES = (STAGE_PREFLIGHT, STAGE_CONTAINMENT, STAGE_VOLATILE_CAPTURE, STAGE_SNAPSHOT, STAGE_RECORD)
# After the response, not stages of it: undoing the containment once the investigation allows it
# (ec2_quarantine state=absent, playbooks/release.yml), analysis in the forensic account
# (playbooks/analyze.yml), and the auditor's read-only check (playbooks/verify.yml).
STAGE_RELEASE = "release"
STAGE_ANALYSIS = "analysis"
STAGE_REPLICATION = "replication"
STAGE_VERIFY = "verify"
# The per-ticket lease a run holds while it acts (evidence_lease): before respond's first change, until its record.
STAGE_LEASE = "lease"


class AwsIrError(Exception):
    """A failure the responder can act on; its message names the field, value or resource at fault."""


class NotFoundError(AwsIrError):
    """Something the responder named that does not exist where it was looked for.

    message: the sentence with "{where}" where the account and Region go; AwsIrModule.run
    fills it in ("account 123456789012, Region us-east-1"), since someone juggling several
    accounts mid-incident needs to know where the tool looked. region, account: the Region and
    account looked in when they are not the module's (a forensic copy's, the forensic account's);
    global_service: IAM and S3 bucket names, which have no Region.
    """

    def __init__(self, message, region=None, global_service=False, account=None):
        self.message, self.region, self.global_service, self.account = message, region, global_service, account
        super().__init__(message.format(where=self._where(account or "this account", region or "this Region")))

    def _where(self, account, region):
        if not account[0].isdigit():
            return account if self.global_service else "this account and Region"
        return f"account {account}" + ("" if self.global_service else f", Region {region}")

    def located(self, account, region):
        """The message naming the account (and the Region) looked in."""
        return self.message.format(where=self._where(self.account or account, self.region or region))
