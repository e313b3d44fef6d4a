"""respond.yml and verify.yml with amazon.aws 11 (the current major) found before the amazon.aws 10 of
.venv, as galaxy.yml's dependency range promises (scripts/amazon-aws-11 puts 11.4.0 in .cache)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.end_to_end.support import REPO
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import lab_environment
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import run_playbook


@pytest.fixture(scope="module")
def amazon_aws_11():
    path = subprocess.run([str(REPO / "scripts" / "amazon-aws-11")], capture_output=True, text=True, check=True, timeout=600).stdout.strip()
    return {"ANSIBLE_COLLECTIONS_PATH": path}


def test_amazon_aws_11_is_the_one_ansible_loads(lab, amazon_aws_11):
    done = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "--json", "amazon.aws.s3_bucket"], cwd=REPO,
                          env=dict(lab_environment(lab), **amazon_aws_11), capture_output=True, text=True, check=True, timeout=120)
    filename = Path(json.loads(done.stdout)["amazon.aws.s3_bucket"]["doc"]["filename"])
    manifest = json.loads((filename.parents[2] / "MANIFEST.json").read_text(encoding="utf-8"))
    assert manifest["collection_info"]["version"].split(".")[0] == "11"


def test_respond_and_verify_run_on_amazon_aws_11(lab, demo, amazon_aws_11):
    instance_id = demo["compromised_instance_id"]
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "instance_ids": [instance_id]}, env=amazon_aws_11)
    assert code == 0, output["stats"]
    interfaces = aws(lab, "ec2").describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])
    assert {g["GroupName"] for eni in interfaces["NetworkInterfaces"] for g in eni["Groups"]} == {"aws-ir-quarantine"}
    recorded = manifest_versions(lab, demo["bucket"])[0]["manifest"]["instances"][instance_id]
    assert recorded["outcome"]["containment"]["status"] == "isolated" and len(recorded["snapshots"]) == 2
    assert recorded["artifacts"]
    code, output = run_playbook(lab, "verify.yml", extra_vars={"ticket": TICKET}, env=amazon_aws_11)
    assert code == 0, output["stats"]
