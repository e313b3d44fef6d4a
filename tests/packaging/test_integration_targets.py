"""The ansible-test integration targets in tests/integration (ansible-test's folder), the pytest suite that runs the
playbooks against the lab in tests/end_to_end: ansible-test sees exactly the targets, pytest none of them, and each
target cleans up after itself."""

import subprocess

from tests.packaging.support import REPO
from tests.packaging.support import load_yaml

TARGETS = REPO / "tests" / "integration" / "targets"
STAGES = ["aws_ir_capture", "aws_ir_contain", "aws_ir_release", "aws_ir_snapshot", "aws_ir_verify"]


def test_ansible_test_lists_the_targets_and_nothing_of_the_pytest_suite():
    done = subprocess.run([str(REPO / "scripts" / "ansible-test"), "integration", "--list-targets"], cwd=REPO, capture_output=True,
                          text=True, timeout=600, check=True)
    assert done.stdout.split() == STAGES


def test_pytest_collects_nothing_under_the_targets():
    done = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-m", "pytest", "--collect-only", "-q", "tests/integration"], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 5, done.stdout  # pytest's "no tests collected"
    assert "targets" not in done.stdout


def test_each_target_is_an_aws_target_that_cleans_up_in_always():
    for name in STAGES:
        aliases = (TARGETS / name / "aliases").read_text(encoding="utf-8").split()
        assert {"cloud/aws", "needs/target/setup_aws_ir"} <= set(aliases), name
        (block,) = load_yaml(TARGETS / name / "tasks" / "main.yml")
        cleanup = block["always"][0]["ansible.builtin.include_role"]
        assert cleanup == {"name": "setup_aws_ir", "tasks_from": "cleanup.yml"}, name
        assert block["block"][0]["ansible.builtin.include_role"] == {"name": "setup_aws_ir"}, name
