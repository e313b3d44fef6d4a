# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The case report: the evidence manifest told for people.

Built from the manifest alone (and where it was read from), so anyone holding
a manifest version can render its report again and get the same bytes: no
clock, no AWS call. It opens with a one-page summary (what happened, when,
which instances, contained or not, the evidence, what is still open), then
gives, per instance, a picture of it before and after, a timeline, what was
isolated and how, the artifacts with their hashes, the snapshots, the warnings
and the state a release would restore. report_format.py writes it as HTML or
Markdown; report_pictures.py draws the pictures; case_facts.py computes the
facts it shares with the terminal summary.
"""

import json
import re

from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_DETECTION
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_RECORD
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_PREFLIGHT
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_CONTAINMENT
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_SNAPSHOT
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGES
from ansible_collections.secops.aws_ir.plugins.module_utils.containment.tracking import ICMP_WARNING
from ansible_collections.secops.aws_ir.plugins.module_utils.record import case_facts
from ansible_collections.secops.aws_ir.plugins.module_utils.record import report_pictures
from ansible_collections.secops.aws_ir.plugins.module_utils.record.report_format import Code
from ansible_collections.secops.aws_ir.plugins.module_utils.record.report_format import to_html
from ansible_collections.secops.aws_ir.plugins.module_utils.record.report_format import to_markdown

REPORT_HTML = "report.html"
REPORT_MARKDOWN = "report.md"
# The artifact kind of a finding's JSON (finding_evidence): the case's first artifact, not volatile data.
FINDING_KIND = "finding"
# forensic_snapshot's detail opens with the counts of the run that last changed the outcome.
_MADE_BY_THIS_RUN = re.compile(r"^\d+ EBS snapshot\(s\), \d+ by this run")
_NONE = "none"


def report_key(ticket, name):
    """S3 key of a report file (name: REPORT_HTML or REPORT_MARKDOWN) next to the ticket's manifest."""
    return f"{ticket}/{name}"


def render(manifest, source):
    """(html str, markdown str) of the case report.

    source: where the manifest was read or is written, {"s3_uri", "version_id"
    (None when not written, as in check mode), "sha256"}.
    """
    blocks = build(manifest, source)
    return to_html(blocks[0][1], blocks), to_markdown(blocks)


def build(manifest, source):
    """The report as report_format blocks: the finding it started from, a one-page summary for whoever reads only that, then the detail."""
    items = case_facts.needs_a_person(manifest)
    blocks = [("title", f"Case report {manifest['ticket']['raw']}"), _banner(manifest["runs"][-1], items)]
    blocks += _findings(manifest.get("findings") or [])
    stages = _stages(manifest)
    blocks += _at_a_glance(manifest, items)
    blocks += _summary(manifest, stages)
    blocks += _case(manifest, source)
    blocks += _runs(manifest["runs"])
    for instance_id, instance in manifest["instances"].items():
        blocks += _instance(manifest, stages, instance_id, instance)
    shared = [a for a in manifest["actions"] if not a["instance_ids"]]
    if shared:
        blocks += [("heading", "Shared resources", "shared"),
                   ("para", "Calls that concern no single instance (the isolation security groups of each VPC)."),
                   _timeline("shared-actions", shared)]
    blocks.append(("para", f"Rendered from the manifest alone ({source['s3_uri']}, version {source.get('version_id') or 'not written'}, "
                           f"SHA-256 {source['sha256']}). The manifest is the record; this report only presents it."))
    return blocks


def _banner(run, items):
    """The status line on top; green only when the run completed and nothing needs a person."""
    if run["check_mode"]:
        return ("banner", "planned", "Check mode: the last run changed nothing and wrote nothing to S3. "
                                     "Its actions are listed as planned, not done.")
    if run["status"] == "failed":
        return ("banner", "failed", f"The last run ({run['playbook']}) failed at {run.get('failed_stage') or 'an unknown stage'}: "
                                    f"{run.get('failure') or 'no message'}. Everything it changed before the failure is listed.")
    if items:
        return ("banner", "attention", f"The last run ({run['playbook']}) completed ({run['ended_at']}), but {len(items)} "
                                       f"item{'s' if len(items) != 1 else ''} still need{'s' if len(items) == 1 else ''} a person: see below.")
    return ("banner", "ok", f"The last run ({run['playbook']}) completed ({run['ended_at']}) and records nothing left open.")


def _count(number, word):
    return f"{number} {word}{'' if number == 1 else 's'}"


def _contained(manifest):
    """How many instances are contained, released or neither, in words."""
    statuses = {}
    for instance in manifest["instances"].values():
        status = case_facts.instance_status(instance)
        statuses[status] = statuses.get(status, 0) + 1
    words = {"isolated": "isolated (protected, out of service, in the quarantine security group)", "released": "released (isolation undone)",
             "containment planned": "to be isolated (check mode: containment planned, nothing changed)"}
    total = len(manifest["instances"])
    return "; ".join(f"{n} of {total} {words.get(status, status)}" for status, n in sorted(statuses.items()))


def _evidence(manifest):
    instances = list(manifest["instances"].values())
    artifacts = [a for i in instances for a in i["artifacts"]]
    # One finding's JSON is an artifact of each instance it names: count each object once.
    findings = len({a["s3_uri"] for a in artifacts if a["kind"] == FINDING_KIND})
    volatile = sum(1 for a in artifacts if a["kind"] != FINDING_KIND)
    snapshots = [s for i in instances for s in i["snapshots"]]
    completed = sum(1 for s in snapshots if s["state"] == "completed")
    found = "the finding JSON and " if findings == 1 else f"{findings} finding JSONs and " if findings else ""
    return (f"{found}{_count(volatile, 'volatile-data artifact')} in S3, each read back and its size and SHA-256 recorded when collected; "
            f"{_count(len(snapshots), 'EBS snapshot')} ({completed} completed); {_count(len(manifest['actions']), 'AWS call')} recorded "
            "with request ids. playbooks/verify.yml checks all of it again.")


def _changes(manifest):
    changed, refused = case_facts.last_run_changes(manifest)
    return changed + (f"; refused by AWS: {refused}" if refused else "")


def _at_a_glance(manifest, items):
    runs = manifest["runs"]
    run = runs[-1]
    account = run.get("actor", {}).get("account")
    playbooks = ", ".join(dict.fromkeys(r["playbook"] for r in runs))
    facts = [
        ("What happened", f"Incident {manifest['ticket']['raw']}: {_count(len(manifest['instances']), 'EC2 instance')} in account "
                          f"{account}, Region {manifest['region']}, handled by {playbooks}."),
        ("When (UTC)", f"{runs[0]['started_at']} to {run['ended_at']} ({_count(len(runs), 'run')}; the last "
                       f"{'planned only' if run['check_mode'] else run['status']})"),
        ("Instances", Code(", ".join(manifest["instances"]))),
        ("Changed by the last run", _changes(manifest)),
        ("Contained", _contained(manifest) or "no instance"),
        ("Evidence", _evidence(manifest)),
        ("Still open", f"{_count(len(items), 'item')}, listed below" if items else "nothing recorded; read the detail before closing"),
    ]
    if case_facts.icmp_tracked(manifest):
        facts.append(("For every contained instance", ICMP_WARNING))
    open_items = [f"{', '.join(ids)}: {sentence}{' (and alike for each)' if alike else ''}" for sentence, ids, alike in items] or ["Nothing recorded."]
    return [("heading", "At a glance", "glance"), ("facts", facts), ("subheading", "Still needs a person"), ("bullets", open_items),
            ("pagebreak",)]


def _findings(findings):
    """The findings the response started from: what was detected, where, how severe, and where its JSON is kept."""
    if not findings:
        return []
    rows = [[f["source"], Code(f["id"]), f["severity"]["label"] + (f" ({f['severity']['score']})" if f["severity"].get("score") is not None else ""),
             ", ".join(f["types"]), f["title"], Code(f"{f['account_id']} {f['region']}"), Code(", ".join(f["instance_ids"])),
             Code(f["artifact"]["s3_uri"]), Code(f["artifact"]["sha256"])] for f in findings]
    return [("heading", "Finding", "finding"),
            ("para", "The response started from these findings; each finding's JSON is the case's first artifact."),
            ("table", "findings", ["Source", "Finding", "Severity", "Type", "Title", "Account, Region", "Instances", "Artifact", "SHA-256"], rows)]


def _stages(manifest):
    """The stages that change instances, in workflow order, then any other stage recorded (a release)."""
    seen = {s for i in manifest["instances"].values() for s in i["outcome"] if s not in STAGES}
    return [s for s in STAGES if s not in (STAGE_PREFLIGHT, STAGE_RECORD)] + sorted(seen)


def _summary(manifest, stages):
    # "Open items" counts what "Still open" lists for the instance (its warnings, draining targets, stages not done), not its warnings alone.
    rows = [[Code(i)] + [case_facts.plan_status(manifest, i, s) or "no outcome" for s in stages]
            + [len(inst["artifacts"]), len(inst["snapshots"]), len(case_facts.open_items(i, inst, manifest))]
            for i, inst in manifest["instances"].items()]
    return [("heading", "Summary", "summary"),
            ("table", "summary", ["Instance"] + stages + ["Artifacts", "Snapshots", "Open items"], rows)]


def _case(manifest, source):
    previous = manifest.get("previous_version") or {}
    facts = [
        ("Ticket", f"{manifest['ticket']['raw']} (normalised {manifest['ticket']['normalized']})"),
        ("Region", Code(manifest["region"])),
        ("Manifest", Code(source["s3_uri"])),
        ("Manifest version", Code(source.get("version_id") or "not written (check mode)")),
        ("Manifest SHA-256", Code(source["sha256"])),
        ("Previous version", Code(f"{previous['version_id']} (SHA-256 {previous['sha256']})") if previous else _NONE),
        ("Created", manifest["created_at"]),
        ("Updated", manifest["updated_at"]),
        ("Collection", f"{manifest['collection']['name']} {manifest['collection']['version']}"),
        ("Schema version", manifest["schema_version"]),
    ]
    bucket = manifest["runs"][-1].get("evidence_bucket")
    if bucket:
        retention = bucket.get("default_retention")
        facts += [
            ("Evidence bucket", Code(bucket["name"])),
            ("Versioning", bucket["versioning"]),
            ("Object Lock", ("on" if bucket["object_lock"] else "off")
             + (f", default retention {retention['mode']} {retention.get('days') or retention.get('years')}"
                f" {'days' if retention.get('days') else 'years'}" if retention else ", no default retention")),
            ("Default encryption", bucket["encryption"] or _NONE),
        ]
    blocks = [("heading", "Case", "case"), ("facts", facts)]
    if bucket and bucket["warnings"]:
        blocks.append(("bullets", [f"warning: {w}" for w in bucket["warnings"]]))
    return blocks


def _runs(runs):
    rows = [[n + 1, r["playbook"], "planned (check mode)" if r["check_mode"] else r["status"], r.get("failed_stage") or "",
             Code(r["actor"]["arn"]), r["controller"]["host"], r["started_at"], r["ended_at"]] for n, r in enumerate(runs)]
    return [("heading", "Runs", "runs"),
            ("table", "runs", ["#", "Playbook", "Status", "Failed stage", "Actor", "Controller", "Started", "Ended"], rows)]


def _instance(manifest, stages, instance_id, instance):
    actions = [manifest["actions"][n] for n in instance.get("action_indexes", [])]
    blocks = [("heading", f"Instance {instance_id}", instance_id)]
    preflight = instance.get("preflight")
    if preflight:
        blocks.append(("facts", [("State at preflight", preflight.get("state")), ("Platform", preflight.get("platform")),
                                 ("VPCs", Code(", ".join(preflight.get("vpc_ids", [])))),
                                 ("SSM", (preflight.get("ssm") or {}).get("ping_status")),
                                 ("Volatile capture", preflight.get("volatile_capture"))]))
    blocks += [("subheading", "Outcome"), _outcomes(manifest, stages, instance_id)]
    blocks += [("subheading", "Before and after"), _before_after(instance)]
    blocks += [("subheading", "What was isolated and how"), ("bullets", _isolation(instance, actions))]
    statuses = {stage: (instance["outcome"].get(stage) or {}).get("status") for stage in stages if stage in instance["outcome"]}
    # The finding's upload (stage detection) is the first call of the timeline: its lane comes first.
    picture, text = report_pictures.timeline([STAGE_DETECTION] + stages, actions, statuses, {s for s, v in statuses.items() if case_facts.fell_short(s, v)})
    blocks += [("subheading", "Timeline"), ("svg", picture, text) if picture else ("para", text)]
    if actions:
        blocks.append(_timeline(f"timeline-{instance_id}", actions))
    blocks += [("subheading", "Artifacts"), _artifacts(instance_id, instance["artifacts"])]
    blocks += [("subheading", "Snapshots"), _snapshots(instance_id, instance["snapshots"])]
    blocks += [("subheading", "Warnings"), ("bullets", instance["warnings"] or [_NONE])]
    blocks += [("subheading", "What a release would restore"), ("bullets", _release(instance.get("state_before"), case_facts.group_names(instance)))]
    return blocks


def _outcomes(manifest, stages, instance_id):
    instance = manifest["instances"][instance_id]
    rows = []
    for stage in stages:
        outcome = instance["outcome"].get(stage)
        if outcome is not None:
            detail = "; ".join(outcome.get("notes") or []) or outcome.get("detail") or ""
            if stage == STAGE_SNAPSHOT:
                # The recorded detail is the run's that last changed the outcome; what the last run made comes from its actions.
                made = f"{len(instance['snapshots'])} EBS snapshot(s), {case_facts.snapshots_by_last_run(manifest, instance_id)} by the last run"
                detail = _MADE_BY_THIS_RUN.sub(made, detail, count=1)
            rows.append([stage, case_facts.plan_status(manifest, instance_id, stage), detail])
    return ("table", "outcome", ["Stage", "Status", "Detail"], rows)


def _state_lines(state, names, draining=()):
    """What people compare before and after: groups per interface (names and ids), Auto Scaling group, load balancers, protections."""
    if not state:
        return ["not recorded"]
    lines = [f"{eni}: {groups}" for eni, groups in case_facts.interfaces(state, names)]
    lines += case_facts.service_membership(state) or ["no Auto Scaling group, no load balancer"]
    lines += [f"target group {case_facts.target_group_name(arn)}: still draining" for arn in draining]
    lines.append("protections: " + (", ".join(case_facts.protections(state)) or _NONE))
    return lines


def _before_after(instance):
    names = case_facts.group_names(instance)
    before, now = instance.get("state_before"), case_facts.current_state(instance)
    if not before:
        return ("para", "Containment did not reach this instance: nothing was recorded before or changed.")
    draining = sorted({d["target_group_arn"] for d in (instance["outcome"].get(STAGE_CONTAINMENT) or {}).get("draining") or []}) if now else []
    picture, text = report_pictures.before_after(_state_lines(before, names), _state_lines(now, names, draining) if now else
                                                 ["as before: no later state recorded"], bool(now))
    return ("svg", picture, text)


def _isolation(instance, actions):
    outcome = instance["outcome"].get(STAGE_CONTAINMENT)
    if outcome is None:
        return ["Containment did not reach this instance."]
    names = case_facts.group_names(instance)
    lines = [f"containment: {outcome.get('status')}"] + list(outcome.get("notes") or [])
    for vpc_id, choice in (outcome.get("egress") or {}).items():
        lines.append(f"quarantine egress in {vpc_id}: no inbound rule; tcp/443 to {choice['destinations']} ({choice.get('reason')})")
    for eni in (instance.get("state_before") or {}).get("network_interfaces", []):
        path = [", ".join(case_facts.group_text(g, names) for g in eni["groups"]) or _NONE]
        path += [", ".join(case_facts.group_text(g, names) for g in groups) for groups in _group_changes(eni["network_interface_id"], actions)]
        lines.append(f"{eni['network_interface_id']} ({eni['vpc_id']}): security groups {' -> '.join(path)}")
    return lines


def _group_changes(network_interface_id, actions):
    """The groups each ModifyNetworkInterfaceAttribute that AWS accepted gave the interface, in order (not its connection tracking timeouts)."""
    return [a["after"]["groups"] for a in actions
            if a["action"] == "ModifyNetworkInterfaceAttribute" and a["target"] == network_interface_id and a["outcome"] != "error"
            and "groups" in (a.get("after") or {})]


def _value(value):
    """A recorded value for people: JSON for structures, yes/no for booleans (never Python's True/False)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else str(value)


def _change(action):
    before, after = action.get("before"), action.get("after")
    if before is None and after is None:
        return ""
    return f"{'-' if before is None else _value(before)} -> {'-' if after is None else _value(after)}"


def _timeline(name, actions):
    rows = [[a["time"], a["stage"], Code(f"{a['service']}:{a['action']}"), Code(a["target"]), _change(a),
             a["outcome"] + (f" ({a['error_code']})" if a.get("error_code") else ""), Code(a.get("request_id") or "")]
            for a in actions]
    return ("table", name, ["Time (UTC)", "Stage", "API", "Target", "Before -> after", "Outcome", "Request id"], rows)


def _artifacts(instance_id, artifacts):
    if not artifacts:
        return ("para", "No artifact.")
    rows = [[a["kind"], Code(a["s3_uri"]), Code(a.get("version_id") or ""), a["size_bytes"], Code(a["sha256"])] for a in artifacts]
    return ("table", f"artifacts-{instance_id}", ["Kind", "Object", "Version", "Size (bytes)", "SHA-256"], rows)


def _snapshots(instance_id, snapshots):
    if not snapshots:
        return ("para", "No snapshot.")
    rows = [[Code(s["snapshot_id"]), Code(s["volume_id"]), s["device_name"], s.get("volume_size_gib", ""), s["state"],
             s.get("start_time", ""), "yes" if s.get("encrypted") else "no"] for s in snapshots]
    return ("table", f"snapshots-{instance_id}", ["Snapshot", "Volume", "Device", "Size (GiB)", "State", "Started", "Encrypted"], rows)


def _release(before, names):
    if not before:
        return ["Nothing: no state before the response was recorded (containment did not reach this instance)."]
    lines = [f"{name}: {_value(value)}" for name, value in sorted(before.get("attributes", {}).items())]
    lines += [f"DeleteOnTermination of {device}: {_value(value)}" for device, value in sorted(before.get("delete_on_termination", {}).items())]
    lines += [f"{eni}: security groups {groups}" for eni, groups in case_facts.interfaces(before, names)]
    group = before.get("auto_scaling")
    if group:
        lines.append(f"Auto Scaling group {group['group_name']} ({group.get('lifecycle_state')}; min {group.get('min_size')}, "
                     f"max {group.get('max_size')}, desired {group.get('desired_capacity')} before the response)")
    lines += [f"classic load balancer {name}" for name in before.get("load_balancers", [])]
    lines += [f"target group {case_facts.target_group_name(t['target_group_arn'])}: target {t['id']} port {t['port']} ({t['target_group_arn']})"
              for t in before.get("target_groups", [])]
    return lines
