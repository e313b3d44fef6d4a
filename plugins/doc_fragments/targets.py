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
"""
