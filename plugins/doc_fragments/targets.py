# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """The options every stage module takes: the target instances and the ticket."""

    DOCUMENTATION = r"""
options:
  instance_ids:
    description:
      - The target instances, usually RV(secops.aws_ir.incident_preflight#module:instance_ids).
      - Ids that are malformed, listed twice, unknown, or of terminated instances are refused before any change.
    type: list
    elements: str
    required: true
  ticket:
    description:
      - The normalised incident ticket (RV(secops.aws_ir.incident_preflight#module:ticket.normalized)),
        written in tags, S3 keys and SSM comments.
    type: str
    required: true
  role_arn:
    description:
      - A role of the instances' account, assumed (STS C(AssumeRole), session C(aws-ir-<ticket>)) with the module's own
        credentials, for every call of the module, when the instances are in another account (docs/accounts-and-regions.md).
        Usually RV(secops.aws_ir.incident_targets#module:targets[].role_arn).
      - The temporary credentials stay inside the module; no result holds them.
      - A role that cannot be assumed fails the module before its first call in that account, naming the role and its account.
    type: str
"""
