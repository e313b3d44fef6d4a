"""The summary printed at the end of respond.yml and release.yml (and by the demo), from the manifest alone."""

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.containment.tracking import ICMP_WARNING
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import manifest as model
from ansible_collections.secops.aws_ir.plugins.module_utils.record.terminal_summary import render
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import COMMAND
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import EGRESS_WARNING
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import QUARANTINE
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import WEB
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import contained_again
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import contained_manifest
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import instance_id
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import released
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.summary_table import summary_table

SOURCE = {"s3_uri": "s3://evidence/INC-1/manifest.json", "version_id": "v7", "sha256": "cd" * 32}
# Lines that do not depend on the number of instances: headline, manifest (3), report, blank, header, blank, egress, ICMP, "Needs a person:" and its 3 items.
FIXED_LINES = 14


def test_one_line_per_instance_gives_status_groups_by_name_and_id_what_it_left_protections_command_artifacts_snapshots():
    lines = render(contained_manifest(1), SOURCE, ["/cases/INC-1/manifest.json"])
    i = instance_id(1)
    assert summary_table(lines)[i] == [
        i, "isolated", f"eni-00000000000000001: aws-ir-quarantine ({QUARANTINE})", "web-asg, web-clb, web-tg (draining)",
        "termination, stop, shutdown: stop, volumes kept", COMMAND, "1", "snap-00000000000000001 snap-00000000000000100", "3"]
    text = "\n".join(lines)
    assert lines[0] == "INC-1: respond.yml complete, 2026-11-29T20:00:00.000Z to 2026-11-29T20:00:04.000Z (1 instance: 1 isolated, 1 captured, 1 snapshotted)"
    assert f"version v7, SHA-256 {'cd' * 32}" in text and "-e manifest_version_id=v7 -e manifest_sha256=" + "cd" * 32 in text
    assert "Case report: s3://evidence/INC-1/report.html" in text and "Local copies: /cases/INC-1/manifest.json" in text
    assert f"Quarantine in vpc-0123456789abcdef0: aws-ir-quarantine ({QUARANTINE}): no inbound rule; egress tcp/443 to 0.0.0.0/0" in lines
    assert lines[lines.index("Needs a person:") + 1:] == [
        f"  - {i}: web-tg: target {i} port 80 still draining (deregistration delay)",
        f"  - {i}: {EGRESS_WARNING}",
        f"  - {i}: volume vol-00000000000000001 (/dev/xvda) is not encrypted: its snapshot is unencrypted"]
    assert "cidr" not in text and "True" not in text and "False" not in text


@pytest.mark.parametrize("count", [10, 50])
def test_a_fleet_gives_one_line_per_instance_and_says_what_every_instance_shares_once(count):
    lines = render(contained_manifest(count), SOURCE)
    assert len(lines) == FIXED_LINES + count
    rows = summary_table(lines)
    assert list(rows) == [instance_id(n + 1) for n in range(count)]
    assert all(row[1] == "isolated" and row[-1] == "3" for row in rows.values())
    text = "\n".join(lines)
    # Facts of every instance, once: not fifty times.
    assert text.count(ICMP_WARNING) == 1 and text.count(EGRESS_WARNING) == 1 and text.count("is not encrypted") == 1
    assert f"  - all {count} instances: {EGRESS_WARNING}" in lines
    assert f"  - all {count} instances: volume vol-00000000000000001 (/dev/xvda) is not encrypted: its snapshot is unencrypted (and alike for each)" in lines
    assert max(len(line) for line in lines) == max(len(line) for line in render(contained_manifest(1), SOURCE))


def test_a_failed_run_says_where_it_stopped_and_what_is_missing_per_instance():
    lines = render(contained_manifest(3, failed_snapshot=True), SOURCE)
    assert lines[:2] == ["INC-1: respond.yml FAILED at Snapshot every EBS volume of the instances (3 instances: 3 isolated, 3 captured)",
                         "  changed before it stopped: 10 calls made: ModifyInstanceAttribute x3, ModifyNetworkInterfaceAttribute x6, SendCommand; "
                         f"refused by AWS: CreateSnapshots on {instance_id(1)} (UnauthorizedOperation)"]
    # The error itself is not repeated: the task that failed printed it.
    assert not any("snapshots stopped" in line for line in lines)
    assert all(row[7] == "-" for row in summary_table(lines).values())
    assert ("  - all 3 instances: no snapshot yet: the run stopped at Snapshot every EBS volume of the instances; run respond.yml again"
            in lines)


def test_a_release_says_what_was_not_restored_not_containment_warnings():
    manifest = contained_manifest(1)
    i = instance_id(1)
    restored = dict(manifest["instances"][i]["state_before"], auto_scaling=None)
    release = {"stage": "release", "actions": [], "instances": [{"instance_id": i, "outcome": {
        "status": "released", "notes": [], "not_restored": ["not back in its Auto Scaling group web-asg (restore_auto_scaling_group is false)"],
        "state_after": restored, "group_names": {WEB: "web-sg"}}}]}
    manifest = model.merge(manifest, [release])
    manifest["runs"].append(dict(manifest["runs"][-1], playbook="release.yml", run_id="r2"))
    lines = render(manifest, SOURCE)
    assert summary_table(lines)[i][:4] == [i, "released", f"eni-00000000000000001: web-sg ({WEB})", "web-asg"]
    assert lines[lines.index("Needs a person:") + 1:] == [
        f"  - {i}: not back in its Auto Scaling group web-asg (restore_auto_scaling_group is false)"]
    assert EGRESS_WARNING not in "\n".join(lines) and not any(line.startswith("Quarantine in") for line in lines)


def test_a_check_mode_summary_says_nothing_was_changed_or_written_and_what_is_planned_per_stage():
    manifest = contained_manifest(2)
    manifest["runs"][-1]["check_mode"] = True
    for instance in manifest["instances"].values():
        for outcome in instance["outcome"].values():
            outcome["status"] = "planned"
    lines = render(manifest, dict(SOURCE, version_id=None), ["/cases/INC-1/manifest.planned.json"])
    assert lines[:3] == ["INC-1: respond.yml in check mode changed nothing (2 instances: 2 containment planned, 2 volatile capture planned, "
                         "2 snapshot planned)",
                         "Evidence manifest: s3://evidence/INC-1/manifest.json",
                         "  check mode: nothing was written to S3; the plan is in /cases/INC-1/manifest.planned.json"]


def test_a_run_that_wrote_no_new_version_says_first_that_it_changed_nothing_then_what_the_last_recorded_run_did():
    # A second respond.yml (or one that waited for another run's lease) finds nothing to do: evidence_manifest returns
    # the current version with written=false, and the manifest's last run is the earlier one.
    lines = render(contained_manifest(1), dict(SOURCE, written=False))
    assert lines[:2] == ["INC-1: this run changed nothing; the manifest is unchanged at version v7",
                         "  last recorded run: respond.yml complete, 2026-11-29T20:00:00.000Z to 2026-11-29T20:00:04.000Z "
                         "(1 instance: 1 isolated, 1 captured, 1 snapshotted)"]
    assert "respond.yml complete" not in lines[0]


def test_check_mode_after_a_release_calls_planned_only_the_stages_with_a_planned_call_and_shows_the_planned_state():
    manifest = contained_again(released(contained_manifest(1)), check_mode=True)
    i = instance_id(1)
    lines = render(manifest, dict(SOURCE, version_id=None))
    # Only ModifyNetworkInterfaceAttribute is planned: no SendCommand, no CreateSnapshots, and the release is what the plan undoes.
    assert lines[0] == ("INC-1: respond.yml in check mode changed nothing (1 instance: 1 containment planned, "
                        "volatile capture: nothing to do for 1, snapshot: nothing to do for 1)")
    assert summary_table(lines)[i][:3] == [i, "containment planned", f"eni-00000000000000001: aws-ir-quarantine ({QUARANTINE})"]
