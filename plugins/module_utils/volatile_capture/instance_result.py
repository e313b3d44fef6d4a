# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One instance's result of the volatile capture stage: the triage's outcome at the top, the memory image's under it."""

from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_reachability import volatile_capture

_UNREACHABLE = {"ConnectionLost": "connection_lost", "Inactive": "inactive", "unmanaged": "unmanaged"}
# Outcomes that need no warning: done, planned in check mode, or sent and left running (wait=false).
_NO_WARNING_STATUSES = ("captured", "planned", "sent")


def unreachable_outcome(reach, state):
    """The outcome of an instance SSM cannot reach; one that is not running (state, its EC2 state) is not_running, whatever SSM says."""
    if state not in (None, "running"):
        return {"status": "not_running", "state": state, "ping_status": reach["ping_status"], "detail": volatile_capture(state, reach)}
    return {"status": _UNREACHABLE.get(reach["ping_status"], "unreachable"), "ping_status": reach["ping_status"],
            "detail": reach["likely_cause"]}


def combine(instance_id, triage, memory):
    """One instance's result: triage outcome at the top, memory's under "memory", a warning for each that went wrong.

    A memory outcome that only repeats the triage's (an instance SSM cannot reach) gets no warning of its own.
    """
    outcome = dict(triage["outcome"])
    artifacts = list(triage["artifacts"])
    if memory is not None:
        outcome["memory"] = memory["outcome"]
        artifacts += memory["artifacts"]
        if outcome["status"] == "captured" and memory["outcome"]["status"] != "captured":
            outcome["status"] = f"memory_{memory['outcome']['status']}"
    warnings = []
    if triage["outcome"]["status"] not in _NO_WARNING_STATUSES:
        warnings.append(f"{instance_id}: volatile capture {triage['outcome']['status']}: {triage['outcome'].get('detail')}")
    if memory is not None and memory["outcome"]["status"] not in _NO_WARNING_STATUSES + (triage["outcome"]["status"],):
        warnings.append(f"{instance_id}: memory image {memory['outcome']['status']}: {memory['outcome'].get('detail')}")
    return {"instance_id": instance_id, "outcome": outcome, "artifacts": artifacts, "warnings": warnings}
