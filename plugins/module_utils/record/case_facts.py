# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What people ask of a case, read from the evidence manifest alone.

The terminal summary (terminal_summary.py) and the case report (case_report.py)
both tell these facts; computing them once here keeps the two from ever
disagreeing: per instance, its state before and after (groups per interface by
name and id, Auto Scaling group, load balancers, protections), what was
collected, and what still needs a person.
"""

import re

from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_CONTAINMENT
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_RELEASE
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_SNAPSHOT
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_VOLATILE_CAPTURE
from ansible_collections.secops.aws_ir.plugins.module_utils.containment.tracking import ICMP

# Statuses that mean a stage did what it should (anything else of a stage that ran needs a look).
_DONE = {STAGE_CONTAINMENT: {"isolated"}, STAGE_VOLATILE_CAPTURE: {"captured"}, STAGE_SNAPSHOT: {"snapshotted"},
         STAGE_RELEASE: {"released"}}
_RESOURCE_ID = re.compile(r"\b(i|vol|snap|eni|sg|subnet|rtb|nat|tgw|vpce|eigw|vpc)-[0-9a-f]{8,17}\b")


def group_names(instance):
    """{security group id: name} recorded by containment and release."""
    names = {}
    for stage in (STAGE_CONTAINMENT, STAGE_RELEASE):
        names.update(instance["outcome"].get(stage, {}).get("group_names") or {})
    return names


def group_text(group_id, names):
    """A security group as people name it: "web-sg (sg-0123...)", or the id alone when its name is unknown."""
    name = names.get(group_id)
    return f"{name} ({group_id})" if name else group_id


def current_state(instance):
    """The instance's state after the last stage that changed it (release, else containment), or None when none did.

    A planned containment (check mode) comes first: its state is the plan, which the reader asked for.
    """
    planned = instance["outcome"].get(STAGE_CONTAINMENT) or {}
    if planned.get("status") == "planned" and planned.get("state_after"):
        return planned["state_after"]
    for stage in (STAGE_RELEASE, STAGE_CONTAINMENT):
        outcome = instance["outcome"].get(stage) or {}
        if outcome.get("state_after") and outcome.get("status") != "superseded":
            return outcome["state_after"]
    return None


def interfaces(state, names):
    """[(network interface id, "name (id), ...")] of a recorded state."""
    return [(eni["network_interface_id"], ", ".join(group_text(g, names) for g in eni["groups"]) or "no group")
            for eni in (state or {}).get("network_interfaces", [])]


def protections(state):
    """The protections a recorded state has, in words ("termination", "stop", "shutdown: stop", "volumes kept")."""
    if not state:
        return []
    attributes = state.get("attributes") or {}
    found = []
    if attributes.get("DisableApiTermination"):
        found.append("termination")
    if attributes.get("DisableApiStop"):
        found.append("stop")
    if attributes.get("InstanceInitiatedShutdownBehavior") == "stop":
        found.append("shutdown: stop")
    kept = state.get("delete_on_termination") or {}
    if kept and not any(kept.values()):
        found.append("volumes kept")
    return found


def target_group_name(arn):
    """The name in a target group ARN (...:targetgroup/NAME/ID)."""
    parts = arn.split("/")
    return parts[-2] if len(parts) >= 3 else arn


def service_membership(state):
    """The Auto Scaling group, classic load balancers and target groups (by name) of a recorded state, as words."""
    if not state:
        return []
    found = [f"Auto Scaling group {state['auto_scaling']['group_name']}"] if state.get("auto_scaling") else []
    found += [f"load balancer {name}" for name in state.get("load_balancers") or []]
    found += [f"target group {target_group_name(t['target_group_arn'])} port {t['port']}" for t in state.get("target_groups") or []]
    return found


def left_service(instance):
    """What the instance left (Auto Scaling group, load balancers, target groups: short names), draining ones marked."""
    before, after = instance.get("state_before"), current_state(instance)
    if not before or not after:
        return []
    left = []
    if before.get("auto_scaling") and not after.get("auto_scaling"):
        left.append(before["auto_scaling"]["group_name"])
    left += [n for n in before.get("load_balancers") or [] if n not in (after.get("load_balancers") or [])]
    return left + _left_target_groups(instance, before, after)


def _left_target_groups(instance, before, after):
    draining = {(d["target_group_arn"], d["port"]) for d in instance["outcome"].get(STAGE_CONTAINMENT, {}).get("draining") or []}
    kept = {(t["target_group_arn"], t["port"]) for t in after.get("target_groups") or []}
    return [target_group_name(t["target_group_arn"]) + (" (draining)" if (t["target_group_arn"], t["port"]) in draining else "")
            for t in before.get("target_groups") or [] if (t["target_group_arn"], t["port"]) not in kept]


def stage_status(instance, stage):
    return (instance["outcome"].get(stage) or {}).get("status")


def instance_status(instance):
    """The instance's status in one word or two: a planned containment (check mode, newer than any
    recorded release), else its release unless superseded, else its containment."""
    containment = stage_status(instance, STAGE_CONTAINMENT)
    if containment == "planned":
        return "containment planned"
    release = stage_status(instance, STAGE_RELEASE)
    if release and release != "superseded":
        return release
    return containment or "not contained"


def last_run_actions(manifest):
    """The last run's actions: the manifest's actions are in time order across runs, the last run's are those at or after it started."""
    started = manifest["runs"][-1]["started_at"]
    return [a for a in manifest["actions"] if a["time"] >= started]


def plan_status(manifest, instance_id, stage):
    """A stage's status as the reader should see it: "nothing to do" when check mode says "planned"
    but the plan holds no call of that stage for the instance (its capture or snapshots exist already)."""
    status = stage_status(manifest["instances"][instance_id], stage)
    if status == "planned" and not any(a["stage"] == stage and instance_id in a["instance_ids"] for a in last_run_actions(manifest)):
        return "nothing to do"
    return status


def snapshots_by_last_run(manifest, instance_id):
    """How many EBS snapshots the last run's CreateSnapshots calls made (or planned) of this instance."""
    return sum(len((a.get("after") or {}).get("snapshots") or {}) for a in last_run_actions(manifest)
               if a["action"] == "CreateSnapshots" and a["outcome"] != "error" and instance_id in a["instance_ids"])


def command_ids(instance):
    """The SSM command ids that collected this instance's artifacts (the capture outcome's first), in order."""
    ids = [(instance["outcome"].get(STAGE_VOLATILE_CAPTURE) or {}).get("command_id")] + [a.get("command_id") for a in instance["artifacts"]]
    return list(dict.fromkeys(i for i in ids if i))


def egress_by_vpc(manifest):
    """{vpc_id: {"groups": "aws-ir-quarantine (sg-...)", "allows": "no inbound rule; tcp/443 to ...", "reason"}} of the quarantine groups."""
    found = {}
    for instance in manifest["instances"].values():
        outcome = instance["outcome"].get(STAGE_CONTAINMENT) or {}
        names = group_names(instance)
        after = outcome.get("state_after") or {}
        for eni in after.get("network_interfaces", []):
            choice = (outcome.get("egress") or {}).get(eni["vpc_id"])
            if choice and eni["vpc_id"] not in found:
                found[eni["vpc_id"]] = {"groups": ", ".join(group_text(g, names) for g in eni["groups"]),
                                        "allows": f"no inbound rule; egress tcp/443 to {choice['destinations']}", "reason": choice.get("reason")}
    return found


def fell_short(stage, status):
    """Whether a stage's status says it did not do its job (a plan, or an outcome a later run superseded, did not fall short)."""
    return stage in _DONE and status is not None and status not in _DONE[stage] | {"planned", "superseded"}


def _stage_problems(instance):
    problems = []
    for stage in _DONE:
        outcome = instance["outcome"].get(stage)
        if outcome and fell_short(stage, outcome.get("status")):
            detail = "; ".join(outcome.get("notes") or []) or outcome.get("detail") or ""
            problems.append(f"{stage} {outcome.get('status')}" + (f": {detail}" if detail else ""))
    return problems


def open_items(instance_id, instance, manifest):
    """What still needs a person for one instance, as sentences (its own warnings, draining, stages not done, not restored)."""
    items = _stage_problems(instance)
    release = instance["outcome"].get(STAGE_RELEASE)
    if release and release.get("status") == "released":
        # After a release, containment's warnings are history: what is open is what the release did not restore.
        return items + list(release.get("not_restored") or [])
    items += [f"{target_group_name(d['target_group_arn'])}: target {d['id']} port {d['port']} still draining (deregistration delay)"
              for d in (instance["outcome"].get(STAGE_CONTAINMENT) or {}).get("draining") or []]
    items += [w[len(instance_id) + 2:] if w.startswith(instance_id + ": ") else w for w in instance["warnings"]]
    return list(dict.fromkeys(items + _not_done(instance, manifest["runs"][-1])))


def _not_done(instance, run):
    """The stages a failed response never reached for this instance, as one item (none after a complete run)."""
    if run["status"] != "failed" or run["playbook"] != "respond.yml":
        return []
    missing = [stage for stage in (STAGE_CONTAINMENT, STAGE_VOLATILE_CAPTURE, STAGE_SNAPSHOT) if not instance["outcome"].get(stage)]
    if not missing:
        return []
    return [f"no {' and no '.join(m.replace('_', ' ') for m in missing)} yet: the run stopped at {run.get('failed_stage') or 'a stage'}; "
            "run respond.yml again"]


def needs_a_person(manifest):
    """[(sentence, [instance ids], alike)]: each open item once, with every instance it concerns (a fleet shares most of them).

    Items that differ only by resource ids (the same warning about each instance's own volumes) are
    grouped too: the sentence is then the first instance's, and alike is true.
    """
    grouped = {}
    for instance_id, instance in manifest["instances"].items():
        for item in open_items(instance_id, instance, manifest):
            key = _RESOURCE_ID.sub(lambda m: m.group(1) + "-*", item)
            grouped.setdefault(key, (item, [], set()))
            grouped[key][1].append(instance_id)
            grouped[key][2].add(item)
    return [(item, list(dict.fromkeys(ids)), len(texts) > 1) for item, ids, texts in grouped.values()]


def icmp_tracked(manifest):
    """Whether any instance was isolated (the ICMP fact then applies to the whole case)."""
    return any(ICMP in ((i["outcome"].get(STAGE_CONTAINMENT) or {}).get("tracked_paths") or []) for i in manifest["instances"].values())


def last_run_changes(manifest):
    """What the last run changed and what AWS refused it, in words: ("12 calls: ModifyInstanceAttribute x3, ...", "CreateSnapshots (Unauth...)").

    """
    run = manifest["runs"][-1]
    actions = last_run_actions(manifest)
    made = {}
    for action in actions:
        if action["outcome"] != "error":
            made[action["action"]] = made.get(action["action"], 0) + 1
    done = ", ".join(f"{name} x{n}" if n > 1 else name for name, n in made.items())
    count = sum(made.values())
    changed = f"{count} call{'s' if count != 1 else ''} {'planned' if run['check_mode'] else 'made'}" + (f": {done}" if done else "")
    refused = ", ".join(f"{a['action']} on {a['target']} ({a.get('error_code') or 'error'})" for a in actions if a["outcome"] == "error")
    return changed, refused
