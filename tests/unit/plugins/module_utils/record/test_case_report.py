"""The case report, rendered from a manifest alone, read back by parsing its HTML and its Markdown."""

import re
from html.parser import HTMLParser

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import manifest as model
from ansible_collections.secops.aws_ir.plugins.module_utils.record.case_report import render
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import EGRESS_WARNING
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import QUARANTINE
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import WEB
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import contained_again
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import contained_manifest
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import instance_id
from ansible_collections.secops.aws_ir.tests.unit.plugins.module_utils.record.contained_case import released

I1 = "i-0123456789abcdef0"
T = "2026-11-29T20:00:0{}.000Z"
SHA = "ab" * 32
SOURCE = {"s3_uri": "s3://evidence/INC-1/manifest.json", "version_id": "v7", "sha256": "cd" * 32}


def call(n, action, target, instance_ids=(I1,), before=None, after=None, outcome="ok", error_code=None, stage="containment"):
    return {"time": T.format(n), "stage": stage, "service": "ec2", "action": action, "target": target, "instance_ids": list(instance_ids),
            "parameters": {}, "before": before, "after": after, "outcome": outcome, "error_code": error_code, "request_id": f"req-{n}"}


STATE_BEFORE = {
    "attributes": {"DisableApiTermination": False, "DisableApiStop": False, "InstanceInitiatedShutdownBehavior": "terminate"},
    "delete_on_termination": {"/dev/xvda": True},
    "network_interfaces": [{"network_interface_id": "eni-1", "vpc_id": "vpc-1", "groups": ["sg-web"]}],
    "auto_scaling": {"group_name": "web-asg", "lifecycle_state": "InService", "min_size": 1, "max_size": 4, "desired_capacity": 2},
    "load_balancers": ["web-clb"],
    "target_groups": [{"target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/1", "id": I1, "port": 80}],
}


def case(check_mode=False, status="failed"):
    contain = {"stage": "containment", "actions": [
        call(1, "ModifyInstanceAttribute", I1, before={"DisableApiTermination": False}, after={"DisableApiTermination": True}),
        call(2, "CreateSecurityGroup", "vpc-1", instance_ids=(), after={"group_id": "sg-q"}),
        call(3, "ModifyNetworkInterfaceAttribute", "eni-1", before={"groups": ["sg-web"]}, after={"groups": ["sg-untrack"]}),
        call(4, "ModifyNetworkInterfaceAttribute", "eni-1", before={"groups": ["sg-untrack"]}, after={"groups": ["sg-q"]}),
    ], "instances": [{"instance_id": I1, "state_before": STATE_BEFORE,
                      "outcome": {"status": "contained", "notes": ["detached from Auto Scaling group web-asg"]},
                      "warnings": ["quarantine egress is tcp/443 <to anywhere> | open"]}]}
    capture = {"stage": "volatile_capture", "actions": [call(5, "SendCommand", "AWS-RunShellScript", stage="volatile_capture")], "instances": [
        {"instance_id": I1, "outcome": {"status": "captured", "detail": None}, "artifacts": [
            {"kind": "triage_stdout", "bucket": "evidence", "key": "INC-1/out", "s3_uri": "s3://evidence/INC-1/out", "version_id": "a1",
             "size_bytes": 11262, "sha256": SHA}]}]}
    snap = {"stage": "snapshot", "actions": [call(6, "CreateSnapshots", I1, outcome="error", error_code="UnauthorizedOperation", stage="snapshot")],
            "instances": [{"instance_id": I1, "snapshots": [
                {"snapshot_id": "snap-1", "volume_id": "vol-1", "device_name": "/dev/xvda", "state": "completed", "volume_size_gib": 8}]}]}
    m = model.merge(model.new_manifest({"raw": "INC-1", "normalized": "INC-1"}, "us-east-1", "evidence", T.format(0)), [contain, capture, snap])
    m["runs"].append({"run_id": "r1", "playbook": "respond.yml", "started_at": T.format(0), "ended_at": T.format(7), "status": status,
                      "failed_stage": "Snapshot every EBS volume of the instances", "failure": "UnauthorizedOperation", "check_mode": check_mode,
                      "actor": {"arn": "arn:aws:sts::123456789012:assumed-role/IR/alice", "account": "123456789012"},
                      "controller": {"host": "awx-1"},
                      "evidence_bucket": {"name": "evidence", "versioning": "Enabled", "object_lock": True, "default_retention": None,
                                          "encryption": "aws:kms", "warnings": ["no default retention"]}})
    model.validate(m)
    return m


class Page(HTMLParser):
    """Tables (by class, as lists of rows of cell texts), headings, list items, banner, and anything loaded from elsewhere."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.headings, self.items, self.banner, self.external, self.scripts = {}, {}, [], None, [], 0
        self._table = self._row = self._cell = self._heading = self._item = None
        self._banner = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for name in ("src", "href"):
            if name in attrs:
                self.external.append(attrs[name])
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("class"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag in ("h1", "h2", "h3"):
            self._heading = (attrs.get("id"), [])
        elif tag == "li":
            self._item = []
        elif tag == "p" and "banner" in attrs.get("class", ""):
            self.banner = {"class": attrs["class"], "text": ""}
            self._banner = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag in ("h1", "h2", "h3") and self._heading:
            self.headings["".join(self._heading[1])] = self._heading[0]
            self._heading = None
        elif tag == "li":
            self.items.append("".join(self._item))
            self._item = None
        elif tag == "p":
            self._banner = False

    def handle_data(self, data):
        for part in (self._cell, self._heading and self._heading[1], self._item):
            if part is not None:
                part.append(data)
        if self._banner:
            self.banner["text"] += data


def test_the_html_report_gives_timeline_isolation_artifacts_snapshots_warnings_and_release_per_instance():
    page = Page(render(case(), SOURCE)[0])
    assert page.scripts == 0 and page.external == []  # self-contained
    assert page.headings["Case report INC-1"] is None and page.headings[f"Instance {I1}"] == I1
    assert page.banner["class"] == "banner banner-failed"
    assert "failed at Snapshot every EBS volume of the instances: UnauthorizedOperation" in page.banner["text"]
    timeline = page.tables[f"timeline-{I1}"]
    assert [row[2] for row in timeline[1:]] == ["ec2:ModifyInstanceAttribute", "ec2:ModifyNetworkInterfaceAttribute",
                                                "ec2:ModifyNetworkInterfaceAttribute", "ec2:SendCommand", "ec2:CreateSnapshots"]
    assert timeline[-1][5] == "error (UnauthorizedOperation)" and timeline[1][6] == "req-1"
    assert timeline[1][4] == '{"DisableApiTermination": false} -> {"DisableApiTermination": true}'
    assert "eni-1 (vpc-1): security groups sg-web -> sg-untrack -> sg-q" in page.items
    assert page.tables[f"artifacts-{I1}"][1] == ["triage_stdout", "s3://evidence/INC-1/out", "a1", "11262", SHA]
    assert page.tables[f"snapshots-{I1}"][1][:5] == ["snap-1", "vol-1", "/dev/xvda", "8", "completed"]
    assert "quarantine egress is tcp/443 <to anywhere> | open" in page.items
    release = ["DisableApiTermination: no", "InstanceInitiatedShutdownBehavior: terminate", "DeleteOnTermination of /dev/xvda: yes",
               "eni-1: security groups sg-web", "Auto Scaling group web-asg (InService; min 1, max 4, desired 2 before the response)",
               "classic load balancer web-clb",
               f"target group web-tg: target {I1} port 80 (arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/1)"]
    assert all(line in page.items for line in release), page.items
    assert [row[2] for row in page.tables["shared-actions"][1:]] == ["ec2:CreateSecurityGroup"]
    assert page.tables["summary"][0] == ["Instance", "containment", "volatile_capture", "snapshot", "Artifacts", "Snapshots", "Open items"]
    assert page.tables["summary"][1] == [I1, "contained", "captured", "no outcome", "1", "1", "3"]
    facts = dict(row for row in page.tables["facts"] if len(row) == 2)
    assert (facts["Manifest version"], facts["Manifest SHA-256"], facts["Object Lock"]) == ("v7", "cd" * 32, "on, no default retention")


def test_text_from_aws_is_escaped_in_html_and_in_markdown_tables():
    html_report, markdown = render(case(), SOURCE)
    assert "<to anywhere>" not in html_report and "&lt;to anywhere&gt;" in html_report
    assert "| `s3://evidence/INC-1/out` |" in markdown
    assert "- quarantine egress is tcp/443 <to anywhere> | open" in markdown


def test_the_markdown_report_says_the_same_things():
    markdown = render(case(), SOURCE)[1]
    assert markdown.startswith("# Case report INC-1\n\n> **FAILED**: The last run (respond.yml) failed at Snapshot every EBS volume")
    assert f"## Instance {I1}" in markdown and "### What a release would restore" in markdown
    assert f"| triage_stdout | `s3://evidence/INC-1/out` | `a1` | 11262 | `{SHA}` |" in markdown
    assert "- eni-1 (vpc-1): security groups sg-web -> sg-untrack -> sg-q" in markdown


def test_a_check_mode_report_says_it_is_a_plan_and_rendering_is_repeatable():
    planned = case(check_mode=True, status="complete")
    html_report, markdown = render(planned, dict(SOURCE, version_id=None))
    assert Page(html_report).banner["class"] == "banner banner-planned"
    assert "> **PLANNED**: Check mode: the last run changed nothing and wrote nothing to S3." in markdown
    assert "not written (check mode)" in markdown
    assert render(planned, SOURCE) == render(planned, SOURCE)


def _text_of(html_report):
    """The text a reader sees (tags and the style sheet removed)."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html_report, flags=re.S))


def test_a_one_page_summary_on_top_tells_a_manager_what_happened_and_what_is_open_and_the_colour_is_not_green():
    html_report, markdown = render(contained_manifest(3), SOURCE)
    page = Page(html_report)
    # Amber, not green: the case completed but items still need a person.
    assert page.banner["class"] == "banner banner-attention" and "3 items still need a person" in page.banner["text"]
    glance = dict(row for row in page.tables["facts"] if len(row) == 2)
    assert glance["What happened"] == "Incident INC-1: 3 EC2 instances in account 123456789012, Region us-east-1, handled by respond.yml."
    assert glance["When (UTC)"] == "2026-11-29T20:00:00.000Z to 2026-11-29T20:00:04.000Z (1 run; the last complete)"
    assert glance["Contained"] == "3 of 3 isolated (protected, out of service, in the quarantine security group)"
    assert glance["Changed by the last run"] == "13 calls made: ModifyInstanceAttribute x3, ModifyNetworkInterfaceAttribute x6, SendCommand, CreateSnapshots x3"
    assert glance["Evidence"].startswith("3 volatile-data artifacts in S3, each read back and its size and SHA-256 recorded when collected; "
                                         "6 EBS snapshots (6 completed)")
    assert glance["Still open"] == "3 items, listed below"
    ids = ", ".join(instance_id(n) for n in (1, 2, 3))
    assert f"{ids}: {EGRESS_WARNING}" in page.items
    # The summary comes before any detail, and a print starts the detail on a new page.
    assert html_report.index('id="glance"') < html_report.index('class="page-break"') < html_report.index('id="summary"')
    assert "## At a glance" in markdown


def test_green_only_when_nothing_needs_a_person():
    manifest = contained_manifest(1)
    for instance in manifest["instances"].values():
        instance["warnings"] = []
        instance["outcome"]["containment"]["draining"] = []
    assert Page(render(manifest, SOURCE)[0]).banner["class"] == "banner banner-ok"


def test_wording_is_for_people_groups_by_name_and_id_no_python_booleans_no_cidr():
    text = _text_of(render(contained_manifest(1), SOURCE)[0]) + render(case(), SOURCE)[1]
    assert "True" not in text and "False" not in text and "cidr" not in text
    assert f"aws-ir-quarantine ({QUARANTINE})" in text and f"web-sg ({WEB})" in text
    assert "tcp/443 to 0.0.0.0/0" in text


def test_pictures_are_inline_svg_per_instance_with_failures_marked_and_nothing_loaded():
    html_report = render(contained_manifest(2, failed_snapshot=True), SOURCE)[0]
    page = Page(html_report)
    assert page.scripts == 0 and page.external == [] and "http" not in html_report.split("<body>")[1]
    svgs = re.findall(r"<svg .*?</svg>", html_report, flags=re.S)
    assert len(svgs) == 4  # a before/after and a timeline per instance
    before_after, first_timeline = svgs[0], svgs[1]
    assert "Before the response" in before_after and f"web-sg ({WEB})" in before_after and f"aws-ir-quarantine ({QUARANTINE})" in before_after
    assert "Auto Scaling group web-asg" in before_after and "load balancer web-clb" in before_after and "target group web-tg: still draining" in before_after
    assert "protections: termination, stop, shutdown: stop, volumes kept" in before_after
    # The failed CreateSnapshots of the first instance is a red cross on the snapshot lane; the second instance's has no call there.
    assert 'stroke="#b71c1c"' in first_timeline and "CreateSnapshots failed" in first_timeline
    assert 'stroke="#b71c1c"' not in svgs[3]
    # The text alternative says the same for the Markdown report.
    assert "snapshot: no outcome, 1 call(s), failed: CreateSnapshots" in render(contained_manifest(2, failed_snapshot=True), SOURCE)[1]


def test_printing_keeps_tables_whole_repeats_headers_and_starts_the_detail_on_a_new_page():
    html_report = render(contained_manifest(1), SOURCE)[0]
    style = html_report.split("<style>")[1].split("</style>")[0]
    printed = style.split("@media print")[1]
    for rule in ("@page", "thead { display: table-header-group; }", "table, svg.picture, ul { break-inside: avoid;",
                 "tr { break-inside: avoid;", ".page-break { break-after: page;"):
        assert rule in printed, rule


def _glance(html_report):
    return dict(row for row in Page(html_report).tables["facts"] if len(row) == 2)


def test_snapshots_by_the_last_run_come_from_its_actions_not_from_the_outcome_an_earlier_run_recorded():
    first = contained_manifest(1)
    first["instances"][instance_id(1)]["outcome"]["snapshot"]["detail"] = "2 EBS snapshot(s), 2 by this run; 1 volume(s) not captured"
    again = contained_again(released(first), check_mode=False)
    outcome = {row[0]: row for row in Page(render(again, SOURCE)[0]).tables["outcome"]}
    # The re-containment made no CreateSnapshots call: the ticket's snapshots exist.
    assert outcome["snapshot"] == ["snapshot", "snapshotted", "2 EBS snapshot(s), 0 by the last run; 1 volume(s) not captured"]
    assert {row[0]: row for row in Page(render(first, SOURCE)[0]).tables["outcome"]}["snapshot"][2].startswith("2 EBS snapshot(s), 2 by the last run")


def test_a_check_mode_report_after_a_release_speaks_of_the_plan_at_a_glance_and_per_stage():
    planned = contained_again(released(contained_manifest(1)), check_mode=True)
    html_report = render(planned, dict(SOURCE, version_id=None))[0]
    assert _glance(html_report)["Contained"] == "1 of 1 to be isolated (check mode: containment planned, nothing changed)"
    # No SendCommand or CreateSnapshots is planned: those stages have nothing to do, they are not "planned".
    assert Page(html_report).tables["summary"][1][1:4] == ["planned", "nothing to do", "nothing to do"]


def test_the_finding_json_is_counted_as_the_finding_and_its_upload_has_a_detection_lane():
    manifest = contained_manifest(1)
    i = instance_id(1)
    upload = {"time": "2026-11-29T19:59:59.000Z", "stage": "detection", "service": "s3", "action": "PutObject",
              "target": "s3://evidence/INC-1/finding/guardduty-1.json", "instance_ids": [i], "parameters": {}, "before": None,
              "after": {"sha256": SHA}, "outcome": "ok", "error_code": None, "request_id": "req-f"}
    finding = {"kind": "finding", "bucket": "evidence", "key": "INC-1/finding/guardduty-1.json", "s3_uri": upload["target"],
               "version_id": "f1", "size_bytes": 2048, "sha256": SHA}
    manifest = model.merge(manifest, [{"stage": "detection", "actions": [upload], "instances": [{"instance_id": i, "artifacts": [finding]}]}])
    html_report, markdown = render(manifest, SOURCE)
    assert _glance(html_report)["Evidence"].startswith("the finding JSON and 1 volatile-data artifact in S3")
    assert "detection: no outcome, 1 call(s)" in markdown


def test_the_summary_table_counts_the_same_open_items_as_still_open():
    html_report = render(contained_manifest(1), SOURCE)[0]
    # 3 warnings-or-draining items: the draining target is no warning, yet it is open.
    assert _glance(html_report)["Still open"] == "3 items, listed below"
    assert Page(html_report).tables["summary"][1][-1] == "3"
