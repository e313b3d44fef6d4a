"""Integration tests: the playbooks run for real against the local lab, and an independent boto3
client (not the modules' own return values) reads back what they did."""

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
TICKET = "INC-123456"
_READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Head")


def aws(lab, service):
    """An independent boto3 client on the lab."""
    return boto3.client(service, endpoint_url=lab.endpoint_url, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def lab_environment(lab):
    """The environment a responder would set, pointed at the lab (dummy credentials, never real ones)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_URL=lab.endpoint_url, AWS_REGION=REGION, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    return env


def run_playbook(lab, playbook, *args, extra_vars=None):
    """ansible-playbook with the JSON callback; returns (exit code, parsed output)."""
    command = [str(Path(sys.executable).parent / "ansible-playbook"), str(REPO / "playbooks" / playbook), *args]
    for key, value in (extra_vars or {"ticket": TICKET}).items():
        command += ["-e", json.dumps({key: value})]
    done = subprocess.run(command, cwd=REPO, env=lab_environment(lab), capture_output=True, text=True, timeout=600, check=False)
    try:
        output = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"ansible-playbook printed no JSON (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.returncode, output


def task_result(output, name):
    """The localhost result of the last task with this name (None when it did not run)."""
    found = None
    for play in output["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"] == name:
                found = task["hosts"].get("localhost")
    return found


def mutating(requests):
    """The AWS calls in a lab request log that can change something."""
    return [r for r in requests if not r["action"].startswith(_READ_ONLY_PREFIXES)]
