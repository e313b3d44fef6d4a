# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The summary a responder reads in the terminal at the end of a run, from the evidence manifest.

One line per instance in a table (so fifty instances stay fifty lines), then
the facts that hold for the whole case once (quarantine egress per VPC, ICMP),
then what still needs a person, each item once with the instances it concerns.
The details are in the case report. The filter plugin secops.aws_ir.response_summary
(respond.yml, release.yml) and scripts/demo_report.py print this same text.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_CONTAINMENT
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_RELEASE
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_SNAPSHOT
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_VOLATILE_CAPTURE
from ansible_collections.secops.aws_ir.plugins.module_utils.containment.tracking import ICMP_WARNING
from ansible_collections.secops.aws_ir.plugins.module_utils.record import case_facts

_COLUMNS = ("INSTANCE", "STATUS", "SECURITY GROUPS NOW (PER INTERFACE)", "LEFT (ASG, LOAD BALANCERS)", "PROTECTIONS", "SSM COMMAND",
            "ARTIFACTS", "SNAPSHOTS", "OPEN")
# How many instance ids an open item lists before "and N more" (the report lists them all).
_IDS_SHOWN = 3


def _row(instance_id, instance, open_count):
    names = case_facts.group_names(instance)
    state = case_facts.current_state(instance)
    groups = "; ".join(f"{eni}: {groups}" for eni, groups in case_facts.interfaces(state, names)) or "-"
    snapshots = " ".join(s["snapshot_id"] for s in instance["snapshots"]) or "-"
    return [instance_id, case_facts.instance_status(instance), groups, ", ".join(case_facts.left_service(instance)) or "-",
            ", ".join(case_facts.protections(state)) or "-", ", ".join(case_facts.command_ids(instance)) or "-",
            str(len(instance["artifacts"])), snapshots, str(open_count) if open_count else "-"]


def table(rows):
    """Rows (lists of str, the first the header) as aligned text lines."""
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def _counts(manifest):
    """Per stage, how many instances have each status; in check mode a stage without a planned call reads "nothing to do"."""
    words = []
    for stage in (STAGE_CONTAINMENT, STAGE_VOLATILE_CAPTURE, STAGE_SNAPSHOT, STAGE_RELEASE):
        statuses = [case_facts.plan_status(manifest, i, stage) for i, inst in manifest["instances"].items()
                    if stage != STAGE_RELEASE or case_facts.stage_status(inst, STAGE_CONTAINMENT) != "planned"]
        statuses = [s for s in statuses if s not in (None, "superseded")]
        for status in sorted(set(statuses)):
            # "1 planned" says nothing without its stage; the other statuses name theirs (isolated, captured...).
            name = stage.replace('_', ' ')
            words.append({"planned": f"{statuses.count(status)} {name} planned",
                          "nothing to do": f"{name}: nothing to do for {statuses.count(status)}"}.get(status, f"{statuses.count(status)} {status}"))
    return ", ".join(words) or "nothing done"


def _headline(manifest, source):
    run = manifest["runs"][-1]
    count = len(manifest["instances"])
    what = f"{count} instance{'s' if count != 1 else ''}: {_counts(manifest)}"
    if run["check_mode"]:
        return [f"{manifest['ticket']['raw']}: {run['playbook']} in check mode changed nothing ({what})"]
    if source.get("written") is False:
        # The manifest's last run is an earlier one: say first that this run added nothing, then what is recorded.
        return [f"{manifest['ticket']['raw']}: this run changed nothing; the manifest is unchanged at version {source['version_id']}",
                f"  last recorded run: {run['playbook']} {run['status']}, {run['started_at']} to {run['ended_at']} ({what})"]
    if run["status"] == "failed":
        changed, refused = case_facts.last_run_changes(manifest)
        return [f"{manifest['ticket']['raw']}: {run['playbook']} FAILED at {run.get('failed_stage') or 'a stage'} ({what})",
                f"  changed before it stopped: {changed}" + (f"; refused by AWS: {refused}" if refused else "")]
    return [f"{manifest['ticket']['raw']}: {run['playbook']} complete, {run['started_at']} to {run['ended_at']} ({what})"]


def _where(manifest, source, local_files, report):
    lines = [f"Evidence manifest: {source['s3_uri']}"]
    if manifest["runs"][-1]["check_mode"] or not source.get("version_id"):
        lines.append("  check mode: nothing was written to S3" + (f"; the plan is in {', '.join(local_files)}" if local_files else ""))
        return lines
    lines.append(f"  version {source['version_id']}, SHA-256 {source['sha256']} (keep both)")
    lines.append(f"  verify: ansible-playbook playbooks/verify.yml -e ticket={manifest['ticket']['raw']} "
                 f"-e manifest_version_id={source['version_id']} -e manifest_sha256={source['sha256']}")
    if report:
        lines.append(f"Case report: {source['s3_uri'].rsplit('/', 1)[0]}/report.html (and report.md)")
    if local_files:
        lines.append(f"Local copies: {', '.join(local_files)}")
    return lines


def _case_facts(manifest):
    lines = [f"Quarantine in {vpc}: {facts['groups']}: {facts['allows']}" for vpc, facts in case_facts.egress_by_vpc(manifest).items()]
    if case_facts.icmp_tracked(manifest):
        lines.append(f"Every contained instance: {ICMP_WARNING}")
    return lines


def _ids(instance_ids, total):
    if len(instance_ids) == total and total > 1:
        return f"all {total} instances"
    shown = ", ".join(instance_ids[:_IDS_SHOWN])
    return shown + (f" and {len(instance_ids) - _IDS_SHOWN} more" if len(instance_ids) > _IDS_SHOWN else "")


def _open(manifest, items):
    if not items:
        return ["Needs a person: nothing recorded (read the case report before closing the incident)"]
    total = len(manifest["instances"])
    lines = ["Needs a person:"]
    for sentence, instance_ids, alike in items:
        lines.append(f"  - {_ids(instance_ids, total)}: {sentence}{' (and alike for each)' if alike else ''}")
    return lines


def render(manifest, source, local_files=(), report=True):
    """The summary as text lines.

    source: where the manifest is, {"s3_uri", "version_id" (None when not written), "sha256", "written"
    (False when this run wrote no new version: version_id is then the current one)}.
    local_files: the local copies written; report: whether the case report was written beside it.
    """
    items = case_facts.needs_a_person(manifest)
    per_instance = {}
    for _sentence, instance_ids, _alike in items:
        for instance_id in instance_ids:
            per_instance[instance_id] = per_instance.get(instance_id, 0) + 1
    rows = [list(_COLUMNS)] + [_row(i, inst, per_instance.get(i, 0)) for i, inst in manifest["instances"].items()]
    lines = _headline(manifest, source)
    lines += _where(manifest, source, local_files, report) + [""] + table(rows) + [""] + _case_facts(manifest) + _open(manifest, items)
    return lines
