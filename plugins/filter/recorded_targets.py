# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: recorded_targets
short_description: The instances an evidence manifest records in other accounts and Regions, as instance ARNs
version_added: 1.1.0
author: secops.aws_ir contributors
description:
  - Takes an evidence manifest and returns, as instance ARNs (C(arn:aws:ec2:REGION:ACCOUNT:instance/ID)), the instances
    whose recorded actions were made in another account or Region than O(account_id) and O(region) (each action's
    C(account_id) and C(region), docs/accounts-and-regions.md), in the order first recorded.
  - C(release.yml) gives them to M(secops.aws_ir.incident_targets) to release them with their member role.
options:
  _input:
    description: The evidence manifest (RV(secops.aws_ir.evidence_manifest_info#module:manifest)); null gives none.
    type: dict
    required: true
  account_id:
    description: The run's own account.
    type: str
    required: true
  region:
    description: The run's own Region.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The instances of other accounts and Regions of the case
  ansible.builtin.set_fact:
    elsewhere: "{{ manifest_info.manifest | secops.aws_ir.recorded_targets(preflight_result.caller.account, preflight_result.region) }}"
"""

RETURN = r"""
_value:
  description: Instance ARNs, each once.
  type: list
  elements: str
  sample: [arn:aws:ec2:us-west-2:444455556666:instance/i-0fedcba9876543210]
"""


def recorded_targets(manifest, account_id, region):
    """ARNs of the instances whose recorded actions were made outside (account_id, region); actions without an account
    (manifests of one account and Region) are the run's own."""
    arns = {}
    for action in (manifest or {}).get("actions", []):
        where = (action.get("account_id", account_id), action.get("region", region))
        if where != (account_id, region):
            for instance_id in action.get("instance_ids", []):
                arns.setdefault(f"arn:aws:ec2:{where[1]}:{where[0]}:instance/{instance_id}", None)
    return list(arns)


class FilterModule:
    """secops.aws_ir filters."""

    def filters(self):
        return {"recorded_targets": recorded_targets}
