# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The case key of a ticket in the evidence bucket, checked by the preflight."""

import json

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import s3_uri
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest import manifest_key
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import read_current
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import normalize_ticket
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import refuse_other_case


def refuse_other_case_in(client, bucket, ticket):
    """TicketError when the case key of ticket (raw) names the manifest of another ticket in bucket."""
    key = manifest_key(normalize_ticket(ticket))
    body, _version = read_current(client, bucket, key)
    refuse_other_case(ticket, json.loads(body)["ticket"]["raw"] if body is not None else None, s3_uri(bucket, key))
