# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The quarantine groups of named VPCs, made ahead of an incident (ec2_quarantine_groups, prepare.yml).

The first containment in a VPC creates aws-ir-untrack and aws-ir-quarantine there, during
the incident. Made beforehand, by an administrator, the response only uses them. They are the
very groups containment makes: the same functions create or correct them (isolation.py) and
choose the quarantine egress (egress.py), so that a prepared group is never something the
response would have to correct.
"""

import re

from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import egress
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import isolation
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

# VPC ids: "vpc-" and 8 or 17 lowercase hexadecimal digits.
_VPC_ID = re.compile(r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$")


def validate_vpc_ids(vpc_ids, field):
    """Raise IsolationError for an id that is not a VPC id or is listed twice."""
    for vpc_id in vpc_ids:
        if not isinstance(vpc_id, str) or not _VPC_ID.match(vpc_id):
            raise isolation.IsolationError(f"{field}: {vpc_id!r} is not a VPC id (vpc- followed by 8 or 17 hexadecimal digits); "
                                           "give the VPC's id, not its name or CIDR block")
        if vpc_ids.count(vpc_id) > 1:
            raise isolation.IsolationError(f"{field}: {vpc_id!r} is listed twice")


def refuse_unknown_vpcs(client, vpc_ids, field):
    """Raise NotFoundError naming the ids DescribeVpcs does not know (a filter, so that every missing id is named at once)."""
    if not vpc_ids:
        return
    found = {v["VpcId"] for v in paginate(client, "describe_vpcs", Filters=[{"Name": "vpc-id", "Values": sorted(vpc_ids)}])["Vpcs"]}
    missing = [v for v in vpc_ids if v not in found]
    if missing:
        raise NotFoundError(f"{field}: {', '.join(missing)} not found in {{where}} (DescribeVpcs); a VPC of another Region or account "
                            "needs its own run there")


def prepare(log, client, region, vpc_ids, field="vpc_ids"):
    """Create or correct aws-ir-untrack and aws-ir-quarantine in each VPC, as containment would.

    Everything is read and checked before the first change. Returns ({vpc_id: resolved}, [warning]),
    resolved as isolation.ensure_groups gives it.
    """
    validate_vpc_ids(vpc_ids, field)
    refuse_unknown_vpcs(client, vpc_ids, field)
    existing = isolation.read_groups(client, vpc_ids)
    isolation.check_quarantine_groups(existing)
    choices = egress.choose_each(client, region, egress.read_endpoints(client, vpc_ids))
    resolved, by_vpc = isolation.ensure_groups(log, client, vpc_ids, existing, choices)
    warnings = [w for vpc_id in sorted(vpc_ids) for w in by_vpc[vpc_id]]
    warnings += [egress.https_open_warning(vpc_id, choices[vpc_id]) for vpc_id in sorted(vpc_ids)
                 if choices[vpc_id]["mode"] == egress.MODE_HTTPS_ANYWHERE]
    return resolved, warnings
