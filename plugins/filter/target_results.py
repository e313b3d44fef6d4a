# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: target_results
short_description: The results of a stage run once per account and Region, each action stamped with its account and Region
version_added: 1.1.0
author: secops.aws_ir contributors
description:
  - Takes the registered result of a module run in a loop over the targets of
    M(secops.aws_ir.incident_targets) (each loop item has C(account_id) and C(region)) and returns the results
    of the items that ran, as the evidence manifest takes stage results, with C(account_id) and C(region) added to
    each action record (docs/accounts-and-regions.md).
  - The loop item (which holds the target's temporary credentials) and the module's invocation are left out.
  - Given a list of stage results instead (tasks run once, in the run's own account and Region), stamps their
    actions with O(where); an empty O(where) leaves them as they are (a response in one account and Region).
options:
  _input:
    description:
      - The registered result of the looped task (C(results), one per target); an undefined or skipped task gives none.
      - Or a list of stage results.
    type: raw
    required: true
  where:
    description: C(account_id) and C(region) of a list of stage results.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Record the stages of every account and Region
  ansible.builtin.set_fact:
    stage_results: "{{ containment_targets_result | default({}) | secops.aws_ir.target_results }}"
"""

RETURN = r"""
_value:
  description: One stage result per target whose module ran (a result with C(stage)), in the loop's order.
  type: list
  elements: dict
"""

_LEFT_OUT = ("item", "invocation", "ansible_loop_var")


def stamp(result, where):
    """result without its loop bookkeeping, each action with where's account_id and region; failed always present."""
    stamped = {k: v for k, v in result.items() if k not in _LEFT_OUT}
    stamped["failed"] = bool(result.get("failed"))
    stamped["actions"] = [dict(action, account_id=where["account_id"], region=where["region"]) for action in result.get("actions", [])]
    return stamped


def target_results(value, where=None):
    """Stage results of the loop items that ran their module, actions stamped with the item's account and Region;
    or the stage results of a list, stamped with where (left as they are without where)."""
    if isinstance(value, list):
        return [stamp(result, where) for result in value] if where else list(value)
    return [stamp(result, result["item"]) for result in (value or {}).get("results", []) if "stage" in result]


class FilterModule:
    """secops.aws_ir filters."""

    def filters(self):
        return {"target_results": target_results}
