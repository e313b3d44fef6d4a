"""What a responder and a manager see: the terminal at the end of a run, its errors, and the case report in a browser.

The playbooks run against the lab with Ansible's default output (what a person reads), and the case report is rendered
and printed by headless Chromium."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.summary_table import summary_table
from lab.scene import build_fleet_scene
from tests.end_to_end.conftest import fresh_demo
from tests.end_to_end.png import read_png
from tests.end_to_end.support import CHROMIUM_FLAGS
from tests.end_to_end.support import REGION
from tests.end_to_end.support import REPO
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import run_playbook_raw
from tests.end_to_end.support import screenshot
from tests.end_to_end.support import task_result

ACCOUNT = "123456789012"  # the lab's only account (lab/README.md)
TEXT = {"ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_NOCOLOR": "1"}
SUMMARY_TASK = "secops.aws_ir.record : Summarise the response"
# report_format's banner colours (CSS): green says "all good", amber "done, but something needs a person", red "failed".
BANNER_OK, BANNER_ATTENTION, BANNER_FAILED = (0x1E, 0x7D, 0x32), (0xE6, 0xA1, 0x00), (0xB7, 0x1C, 0x1C)
ICMP = "ICMP is always tracked"
# Chromium prints on Letter paper by default; the demo case's report is its one-page summary (a forced page break after it),
# then the case, runs and the instance (its pictures, timeline, artifacts, snapshots and release); measured with this machine's
# Debian Chromium and fonts.
DEMO_PAGES = 7


def summary_lines(output):
    """The end-of-run summary (respond.yml or release.yml) as lines, from the JSON callback's output."""
    return task_result(output, SUMMARY_TASK)["msg"].split("\n")


@pytest.mark.parametrize("count", [10, 50])
def test_the_summary_of_a_fleet_gives_one_line_per_instance_with_its_facts_and_says_shared_facts_once(lab, count):
    lab.reset()
    scene = build_fleet_scene(lab.endpoint_url, count, region=REGION, ticket=TICKET)
    done = run_playbook_raw(lab, "respond.yml", env=TEXT)
    assert done.returncode == 0, done.stdout[-3000:]
    versions = manifest_versions(lab, scene["bucket"])
    manifest = versions[0]["manifest"]
    # The summary task's output ends where the next task starts (the lease release follows it, not the final task).
    start = done.stdout.index(f"TASK [{SUMMARY_TASK}]")
    summary = done.stdout[start:done.stdout.index("TASK [", start + 1)]
    lines = [line[8:] for line in summary.rstrip().splitlines()[3:]]
    rows = summary_table(lines)
    # One line per instance, every instance once, and the whole summary bounded: 50 instances stay 50 lines plus a fixed head and tail.
    assert sorted(rows) == sorted(scene["compromised_instance_ids"])
    assert len(lines) <= count + 16, "\n".join(lines)
    groups = {g["GroupName"]: g["GroupId"] for g in manifest_security_groups(lab, scene["vpc_id"])}
    for instance_id, cells in rows.items():
        record = manifest["instances"][instance_id]
        eni = record["state_before"]["network_interfaces"][0]["network_interface_id"]
        assert cells[1] == "isolated"
        assert cells[2] == f"{eni}: aws-ir-quarantine ({groups['aws-ir-quarantine']})"
        assert cells[3] == f"{scene['asg_name']}, {scene['clb_name']}, web-tg (draining)"
        assert cells[4] == "termination, stop, shutdown: stop, volumes kept"
        assert cells[5] == record["outcome"]["volatile_capture"]["command_id"] and cells[6] == "1"
        assert cells[7].split() == [s["snapshot_id"] for s in record["snapshots"]] and len(cells[7].split()) == 2
    assert f"  version {versions[0]['version_id']}, SHA-256 " in lines[2]
    # A fact of every instance is said once in the whole run, not per instance, not as a warning and again in the summary.
    assert done.stdout.count(ICMP) == 1 and ICMP in summary
    assert f"  - all {count} instances: {scene['vpc_id']}: quarantine egress is tcp/443 to 0.0.0.0/0" in "\n".join(lines)


def manifest_security_groups(lab, vpc_id):
    return aws(lab, "ec2").describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]


def test_the_real_run_prints_no_less_than_the_demo_and_the_demo_prints_the_same_summary(lab, demo, tmp_path):
    code, output = run_playbook(lab, "respond.yml")
    assert code == 0
    lines = summary_lines(output)
    scene_file = tmp_path / "scene.json"
    scene_file.write_text(json.dumps(demo), encoding="utf-8")
    env = {"AWS_URL": lab.endpoint_url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "PATH": "/usr/bin:/bin"}
    demo_output = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "scripts/demo_report.py", "manifest", "--ticket", TICKET,
                                  "--scene", str(scene_file)], cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=120).stdout
    printed = [line[2:] for line in demo_output.splitlines()]
    # One implementation: the demo's summary of the manifest is the run's own, line for line.
    assert printed[:len(lines)] == lines
    for fact in (demo["compromised_instance_id"], "aws-ir-quarantine (sg-", "web-asg", "termination, stop", "Needs a person:"):
        assert fact in "\n".join(lines)


def test_an_error_is_printed_once_by_the_task_that_failed_and_the_run_ends_with_where_it_stopped_and_what_next(lab, demo):
    unknown = "sg-0123456789abcdef0"
    done = run_playbook_raw(lab, "respond.yml", extra_vars={"ticket": TICKET, "quarantine_group_ids": [unknown]}, env=TEXT)
    assert done.returncode != 0 and mutating(lab.requests()) == []
    message = f"quarantine_group_ids: {unknown} not found in account {ACCOUNT}, Region {REGION}"
    text = " ".join(done.stdout.split())  # the YAML result format wraps long messages
    failed_task, final_task = text.index("TASK [secops.aws_ir.containment"), text.index("TASK [Fail the run when a stage failed]")
    # ansible-core shows a failed task's message in its error header and in its result; nothing after that repeats it.
    assert text.count(message) == 2 and text.index(message) > failed_task and text.rindex(message) < final_task
    assert ('respond.yml stopped at containment (task "Protect, take out of service and isolate the instances"; its error is printed above). '
            "Nothing was changed. Next step: fix what the error names and run respond.yml again.") in text[final_task:]
    assert done.stdout.count("Origin:") == 2  # one per failed task: the module's and the run's last line


def test_instance_ids_with_spaces_are_taken_as_meant(lab, demo):
    instance_id = demo["compromised_instance_id"]
    for given in (f"{instance_id}, ", f" {instance_id}"):
        code, output = run_playbook(lab, "respond.yml", "--check", extra_vars={"ticket": TICKET, "instance_ids": given})
        assert code == 0, given
        assert task_result(output, "secops.aws_ir.preflight : Check ticket, targets, evidence bucket, credentials and SSM reachability")[
            "instance_ids"] == [instance_id]


def test_verify_given_a_mistyped_sha256_says_it_differs(lab, demo):
    code, output = run_playbook(lab, "respond.yml")
    assert code == 0
    record = task_result(output, "secops.aws_ir.record : Write the evidence manifest")
    typo = record["sha256"][:-1] + ("0" if record["sha256"][-1] != "0" else "1")
    code, output = run_playbook(lab, "verify.yml", extra_vars={"ticket": TICKET, "manifest_version_id": record["version_id"], "manifest_sha256": typo})
    assert code != 0
    [problem] = task_result(output, "secops.aws_ir.verify : Verify the manifest's hash chain, every artifact and every snapshot")["discrepancies"]
    assert problem["problem"].startswith(f"the SHA-256 of this manifest version in S3 is {record['sha256']}; it differs from the manifest_sha256 "
                                         f"noted at the end of the response ({typo})")


def test_release_says_what_it_did_not_restore_instead_of_containment_warnings(lab, demo):
    assert run_playbook(lab, "respond.yml")[0] == 0
    code, output = run_playbook(lab, "release.yml")
    assert code == 0
    lines = summary_lines(output)
    instance_id = demo["compromised_instance_id"]
    row = summary_table(lines)[instance_id]
    assert row[1] == "released" and row[2].endswith(f": web-sg ({demo['web_sg_id']})") and row[3] == demo["asg_name"]
    assert lines[lines.index("Needs a person:") + 1:] == [
        f"  - {instance_id}: not back in its Auto Scaling group {demo['asg_name']} (restore_auto_scaling_group is false)"]


def rendered_text(page, tmp_path):
    """The text of the page as Chromium laid it out (its DOM after loading, tags removed)."""
    chromium = shutil.which("chromium")
    done = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-dom'}", "--dump-dom", Path(page).as_uri()],
                          capture_output=True, text=True, timeout=120, check=True)
    body = done.stdout.split("<body>", 1)[1]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def printed_pages(page, tmp_path):
    """How many pages Chromium's print to PDF makes of the page (Letter, its default): the PDF's /Type /Page objects."""
    chromium = shutil.which("chromium")
    pdf = tmp_path / "report.pdf"
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-pdf'}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    Path(page).as_uri()], capture_output=True, text=True, timeout=120, check=True)
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes()))


def keep(png, name):
    """Keep a screenshot for people under tests/output/ (docs/ holds the committed ones, made the same way)."""
    folder = REPO / "tests" / "output"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(png)


def banner_colour(png):
    """The banner colour found across most of a row near the top of a screenshot, or None."""
    width, _height, rows = read_png(png)
    for y, row in enumerate(rows[:300]):
        for colour in (BANNER_OK, BANNER_ATTENTION, BANNER_FAILED):
            if row.count(colour) > width // 2:
                return colour
    return None


def test_the_demo_case_report_reads_at_a_glance_in_chromium_is_not_green_while_items_are_open_and_prints_whole(lab, demo, tmp_path):
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "evidence_local_dir": str(tmp_path)})
    assert code == 0
    page = tmp_path / TICKET / "report.html"
    manifest = manifest_versions(lab, demo["bucket"])[0]["manifest"]
    png = screenshot(page, tmp_path / "report.png", tmp_path, width=1100, height=1300)
    keep(png, "report-demo.png")
    assert banner_colour(png) == BANNER_ATTENTION
    text = rendered_text(page, tmp_path)
    instance_id = demo["compromised_instance_id"]
    record = task_result(output, "secops.aws_ir.record : Write the evidence manifest")
    for fact in (f"Incident {TICKET}: 1 EC2 instance in account {ACCOUNT}, Region {REGION}, handled by respond.yml.",
                 f"{manifest['runs'][0]['started_at']} to {manifest['runs'][-1]['ended_at']}", "1 of 1 isolated",
                 "1 volatile-data artifact in S3", "2 EBS snapshots (2 completed)", "Changed by the last run",
                 f"{instance_id}: web-tg: target {instance_id} port 80 still draining",
                 "quarantine egress is tcp/443 to 0.0.0.0/0", "Before the response", f"web-sg ({demo['web_sg_id']})", record["version_id"]):
        assert fact in text, fact
    assert "True" not in text and "False" not in text and "cidr" not in text
    assert printed_pages(page, tmp_path) == DEMO_PAGES


def test_the_report_of_a_failed_run_says_in_red_where_it_stopped_and_what_was_changed(lab, tmp_path):
    scene = fresh_demo(lab)
    lab.configure(faults=[{"service": "ec2", "action": "CreateSnapshots", "code": "UnauthorizedOperation", "status": 403}])
    try:
        code, _output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "evidence_local_dir": str(tmp_path)})
    finally:
        lab.configure(faults=[])
    assert code != 0
    page = tmp_path / TICKET / "report.html"
    png = screenshot(page, tmp_path / "report.png", tmp_path, width=1100, height=1300)
    keep(png, "report-failed.png")
    assert banner_colour(png) == BANNER_FAILED
    text = rendered_text(page, tmp_path)
    instance_id = scene["compromised_instance_id"]
    for fact in ("The last run (respond.yml) failed at Snapshot every EBS volume of the instances", "1 of 1 isolated",
                 f"refused by AWS: CreateSnapshots on {scene['compromised_instance_id']} (UnauthorizedOperation)",
                 f"{instance_id}: no snapshot yet: the run stopped at Snapshot every EBS volume of the instances; run respond.yml again",
                 "no outcome (CreateSnapshots failed)"):
        assert fact in text, fact
