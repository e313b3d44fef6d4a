"""Integration tests: the playbooks run for real against the local lab, and an independent boto3
client (not the modules' own return values) reads back what they did."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3
import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest import validate

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
TICKET = "INC-123456"
_READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Head", "AssumeRole")  # AssumeRole changes nothing


def aws(lab, service):
    """An independent boto3 client on the lab."""
    return boto3.client(service, endpoint_url=lab.endpoint_url, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def lab_environment(lab):
    """The environment a responder would set, pointed at the lab (dummy credentials, never real ones)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_URL=lab.endpoint_url, AWS_REGION=REGION, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               # The manifest journal's default folder (under $XDG_DATA_HOME) is the run's own: a version one test's
               # failed upload left there must not be uploaded into another test's fresh lab.
               XDG_DATA_HOME=tempfile.mkdtemp(prefix="aws-ir-data-"))
    return env


def run_playbook_raw(lab, playbook, *args, extra_vars=None, env=None):
    """ansible-playbook with the JSON callback and the lab's environment (plus env); returns the CompletedProcess."""
    command = [str(Path(sys.executable).parent / "ansible-playbook"), str(REPO / "playbooks" / playbook), *args]
    for key, value in (extra_vars or {"ticket": TICKET}).items():
        command += ["-e", json.dumps({key: value})]
    environment = dict(lab_environment(lab), **(env or {}))
    return subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=600, check=False)


def run_playbook(lab, playbook, *args, extra_vars=None, env=None):
    """ansible-playbook with the JSON callback; returns (exit code, parsed output)."""
    done = run_playbook_raw(lab, playbook, *args, extra_vars=extra_vars, env=env)
    try:
        output = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"ansible-playbook printed no JSON (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.returncode, output


def run_module(lab, module, args, *flags, env=None):
    """One module of the collection run ad hoc (ansible localhost -m ...) against the lab; returns its result (dict).

    env: extra environment variables (for example another account's credentials).
    """
    command = [str(Path(sys.executable).parent / "ansible"), "localhost", "-m", f"secops.aws_ir.{module}", "-a", json.dumps(args), *flags]
    environment = dict(lab_environment(lab), ANSIBLE_LOAD_CALLBACK_PLUGINS="1", **(env or {}))
    done = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=600, check=False)
    try:
        return json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (json.JSONDecodeError, KeyError, IndexError):
        pytest.fail(f"ansible printed no result (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def task_result(output, name):
    """The localhost result of the last task with this name (None when it did not run)."""
    found = None
    for play in output["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"] == name:
                found = task["hosts"].get("localhost")
    return found


def first_failure(output):
    """(task name, message) of the first task that failed: the run's error, printed once, by that task."""
    for play in output["plays"]:
        for task in play["tasks"]:
            result = task["hosts"].get("localhost", {})
            if result.get("failed"):
                return task["task"]["name"], result.get("msg")
    return None, None


def mutating(requests):
    """The AWS calls in a lab request log that can change something, but the writes of a ticket's lease.

    The lease (<ticket>/lease.json, evidence_lease) is the runs' own bookkeeping, taken and released by every
    run of respond.yml and release.yml: not a change to the case (docs/chain-of-custody.md).
    """
    return [r for r in requests if not r["action"].startswith(_READ_ONLY_PREFIXES) and not _lease_write(r)]


def _lease_write(request):
    return request["service"] == "s3" and (request["params"].get("key") or "").endswith("/lease.json")


def role_task(output, role, name):
    """The localhost result of a task of one of our roles (None when it did not run)."""
    return task_result(output, f"secops.aws_ir.{role} : {name}")


def manifest_versions(lab, bucket, ticket=TICKET):
    """Every version of a ticket's manifest, newest first: [{"version_id", "body", "manifest"}], each validated against the schema."""
    s3 = aws(lab, "s3")
    key = f"{ticket}/manifest.json"
    listing = s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
    versions = []
    for entry in sorted((v for v in listing if v["Key"] == key), key=lambda v: not v["IsLatest"]):
        body = s3.get_object(Bucket=bucket, Key=key, VersionId=entry["VersionId"])["Body"].read()
        manifest = json.loads(body)
        validate(manifest)
        versions.append({"version_id": entry["VersionId"], "body": body, "manifest": manifest})
    return versions


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def screenshot(page, png, tmp_path, width=1280, height=1400):
    """A screenshot of a local HTML file in headless Chromium (scripts/ensure-chromium installs it); returns the PNG bytes."""
    chromium = shutil.which("chromium")
    assert chromium, "Chromium is missing: run scripts/ensure-chromium (scripts/test does)"
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}", f"--window-size={width},{height}",
               f"--screenshot={png}", Path(page).as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and Path(png).exists(), done.stderr[-2000:]
    return Path(png).read_bytes()
