"""The record of a response: the case report beside the manifest, every mutating call in it, no secret in it, the bucket checks."""

import collections
import json
import re

from tests.end_to_end.png import read_png
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import mutating
from tests.end_to_end.support import role_task
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import run_playbook_raw
from tests.end_to_end.support import screenshot

# report_format's .banner-attention background: the demo case completes with items left for a person (egress, draining), so not green.
BANNER_ATTENTION = (0xE6, 0xA1, 0x00)
SECRET_MARKERS = re.compile(r"X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token", re.IGNORECASE)


def test_the_case_report_is_written_next_to_the_manifest_and_locally_and_renders_in_chromium(lab, demo, tmp_path):
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "evidence_local_dir": str(tmp_path)})
    assert code == 0
    record = role_task(output, "record", "Write the evidence manifest")
    s3, bucket = aws(lab, "s3"), demo["bucket"]
    local = tmp_path / TICKET
    for name, content_type in (("manifest.json", "application/json"), ("report.html", "text/html; charset=utf-8"),
                               ("report.md", "text/markdown; charset=utf-8")):
        stored = s3.get_object(Bucket=bucket, Key=f"{TICKET}/{name}", ChecksumMode="ENABLED")
        body = stored["Body"].read()
        assert (local / name).read_bytes() == body, name
        assert stored["ContentType"] == content_type and stored["ObjectLockMode"] == "GOVERNANCE" and stored["ChecksumSHA256"]
        if name != "manifest.json":
            assert stored["Metadata"] == {"manifest-version-id": record["version_id"]}
    html_report = (local / "report.html").read_text(encoding="utf-8")
    artifact = record["manifest"]["instances"][demo["compromised_instance_id"]]["artifacts"][0]
    assert f"<code>{artifact['sha256']}</code>" in html_report and f'<h2 id="{demo["compromised_instance_id"]}">' in html_report
    assert f"<code>{record['version_id']}</code>" in html_report

    width, height, rows = read_png(screenshot(local / "report.html", tmp_path / "report.png", tmp_path))
    assert (width, height) == (1280, 1400)
    banner_rows = [y for y, row in enumerate(rows) if row.count(BANNER_ATTENTION) > width // 2]
    assert banner_rows and banner_rows[0] < 200, "the amber 'completed, but items are open' banner is not near the top"
    inked = [y for y, row in enumerate(rows[banner_rows[-1] + 1:]) if any(sum(p) < 200 for p in row)]
    assert len(inked) > 300, "little text is visible below the banner"


def test_every_mutating_call_that_reached_aws_is_recorded(lab, demo):
    code, output = run_playbook(lab, "respond.yml")
    assert code == 0
    manifest = manifest_versions(lab, demo["bucket"])[0]["manifest"]
    record = role_task(output, "record", "Write the evidence manifest")
    recorded = collections.Counter((a["service"], a["action"]) for a in manifest["actions"] + record["actions"])
    made = collections.Counter((r["service"], r["action"]) for r in mutating(lab.requests()))
    assert made == recorded
    assert {a["outcome"] for a in manifest["actions"]} == {"ok"} and all(a["request_id"] for a in manifest["actions"])


def test_no_credential_or_presigned_url_reaches_any_output_at_vvv_a_manifest_a_report_a_command_or_a_log(lab, demo, tmp_path):
    aws(lab, "iam").create_role(RoleName="IncidentResponder", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    credentials = aws(lab, "sts").assume_role(RoleArn="arn:aws:iam::123456789012:role/IncidentResponder", RoleSessionName="alice")["Credentials"]
    env = {"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
           "AWS_SESSION_TOKEN": credentials["SessionToken"]}
    verbose = dict(env, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_NOCOLOR="1")
    outputs = {}
    # The response, its release and the auditor's check, each at the highest verbosity, with the responder's session credentials.
    for playbook in ("respond.yml", "release.yml", "verify.yml"):
        done = run_playbook_raw(lab, playbook, "-vvv", extra_vars={"ticket": TICKET, "evidence_local_dir": str(tmp_path)}
                                if playbook == "respond.yml" else None, env=verbose)
        assert done.returncode == 0, done.stdout[-3000:]
        # Verbose indeed: module arguments and connection details are in it.
        assert "ESTABLISH LOCAL CONNECTION" in done.stdout and "module_args:" in done.stdout
        outputs[f"{playbook} -vvv output"] = done.stdout + done.stderr
    versions = manifest_versions(lab, demo["bucket"])
    assert [v["manifest"]["runs"][-1]["playbook"] for v in versions] == ["release.yml", "respond.yml"]
    assert versions[0]["manifest"]["runs"][-1]["actor"]["arn"] == "arn:aws:sts::123456789012:assumed-role/IncidentResponder/alice"

    s3, ssm = aws(lab, "s3"), aws(lab, "ssm")
    artifacts = [a for record in versions[0]["manifest"]["instances"].values() for a in record["artifacts"]]
    texts = dict(outputs, **{"lab server log": lab.server_log(), "lab request log (what the host was sent too)": json.dumps(lab.requests()),
                             "SSM command text": json.dumps([c["Parameters"] for c in ssm.list_commands()["Commands"]], default=str)})
    texts.update({f"manifest version {v['version_id']}": v["body"].decode() for v in versions})
    texts.update({f"s3 {name}": s3.get_object(Bucket=demo["bucket"], Key=f"{TICKET}/{name}")["Body"].read().decode()
                  for name in ("report.html", "report.md")})
    texts.update({f"command output {a['key']}": s3.get_object(Bucket=a["bucket"], Key=a["key"])["Body"].read().decode("utf-8", "replace")
                  for a in artifacts})
    texts.update({f"local {path.name}": path.read_text(encoding="utf-8") for path in (tmp_path / TICKET).iterdir()})
    assert len(texts) >= 13 and artifacts
    for name, text in texts.items():
        for key, secret in env.items():
            assert secret not in text, f"{name} contains {key}"
        assert not SECRET_MARKERS.search(text), f"{name} contains a presigned URL"


def test_the_preflight_refuses_a_bucket_without_versioning_and_records_the_weaknesses_of_one_without_lock_or_encryption(lab, demo):
    s3 = aws(lab, "s3")
    s3.create_bucket(Bucket="plain-evidence")
    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "evidence_bucket": "plain-evidence"})
    assert code != 0
    preflight = role_task(output, "preflight", "Check ticket, targets, evidence bucket, credentials and SSM reachability")
    assert preflight["msg"] == ("evidence bucket 'plain-evidence' has versioning Disabled: "
                                "evidence needs a bucket that keeps every version")
    assert mutating(lab.requests()) == []

    s3.put_bucket_versioning(Bucket="plain-evidence", VersioningConfiguration={"Status": "Enabled"})
    code, _output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "evidence_bucket": "plain-evidence"})
    assert code == 0
    bucket = manifest_versions(lab, "plain-evidence")[0]["manifest"]["runs"][-1]["evidence_bucket"]
    # moto gives a new bucket no default encryption (AWS has given every new bucket SSE-S3 since January 2023).
    assert (bucket["versioning"], bucket["object_lock"], bucket["encryption"]) == ("Enabled", False, None)
    assert bucket["warnings"] == ["evidence bucket 'plain-evidence' has no Object Lock: stored evidence can be overwritten or deleted",
                                  "evidence bucket 'plain-evidence' has no default encryption"]
