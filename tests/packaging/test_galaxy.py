"""The Galaxy tarball: what it holds, that it installs and works offline, and that galaxy-importer accepts it."""

import json
import os
import re
import subprocess
import sysconfig
import tarfile
from pathlib import Path

import pytest

from tests.packaging.support import BIN
from tests.packaging.support import COLLECTION
from tests.packaging.support import REPO
from tests.packaging.support import galaxy
from tests.packaging.support import modules
from tests.packaging.support import roles
from tests.packaging.support import tool_environment

AMAZON_AWS = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections" / "amazon" / "aws"

# Needs the lab or the repository's tooling, or is for a controller that uses the repository itself.
NOT_SHIPPED = ("lab/", "bench/", "scripts/", ".ci/", "tests/lab/", "tests/end_to_end/", "tests/packaging/",
               "tests/output/", "extensions/molecule/", "extensions/awx/", "execution-environment.yml", "ansible.cfg")


@pytest.fixture(scope="module")
def members(collection_tarball):
    with tarfile.open(collection_tarball) as archive:
        return {member.name for member in archive.getmembers() if member.isfile()}


def test_the_tarball_carries_the_collection_and_its_documents(members):
    expected = {f"plugins/modules/{m}.py" for m in modules()}
    expected |= {f"roles/{r}/{f}" for r in roles() for f in ("README.md", "meta/argument_specs.yml", "meta/main.yml")}
    expected |= {"README.md", "meta/runtime.yml", "meta/execution-environment.yml", "requirements.txt", "playbooks/respond.yml",
                 "docs/iam/responder-policy.json", "docs/iam/instance-role-policy.json", "changelogs/changelog.yaml", "CHANGELOG.rst"}
    assert sorted(expected - members) == []


def test_the_tarball_leaves_out_what_only_works_in_the_repository(members):
    assert sorted(name for name in members if name.startswith(NOT_SHIPPED) or name == ".venv" or "/.venv/" in name) == []


def test_the_manifest_names_the_collection_and_its_dependencies(collection_tarball):
    with tarfile.open(collection_tarball) as archive:
        info = json.load(archive.extractfile("MANIFEST.json"))["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == ("secops", "aws_ir", galaxy()["version"])
    assert info["dependencies"] == {name: galaxy()["dependencies"][name] for name in ("amazon.aws", "community.aws")}
    assert info["license"] == ["GPL-3.0-or-later"] and {"security", "cloud"} <= set(info["tags"])


def test_the_tarball_installs_offline_and_its_modules_load_from_there(collection_tarball, tmp_path):
    env = tool_environment()
    subprocess.run([BIN / "ansible-galaxy", "collection", "install", "--offline", "--no-deps", "--force", "-p", tmp_path, collection_tarball],
                   env=env, check=True, capture_output=True, text=True)
    # Only the installed copy and amazon.aws: not the checkout that scripts/bootstrap links into site-packages.
    amazon = tmp_path / "ansible_collections" / "amazon"
    amazon.mkdir()
    (amazon / "aws").symlink_to(AMAZON_AWS)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(tmp_path), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False")
    names = [f"{COLLECTION}.{m}" for m in modules()]
    docs = json.loads(subprocess.run([BIN / "ansible-doc", "--json", *names], env=env, check=True, capture_output=True,
                                     text=True).stdout)
    installed = os.path.join(tmp_path, "ansible_collections", "secops", "aws_ir", "plugins", "modules")
    assert sorted(docs) == sorted(names) and all(d["doc"]["filename"].startswith(installed) for d in docs.values())


def test_galaxy_importer_accepts_the_tarball_without_a_warning(collection_tarball):
    done = subprocess.run([REPO / "scripts" / "galaxy-importer", collection_tarball], env=tool_environment(),
                          capture_output=True, text=True, timeout=900, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "Importer processing completed successfully" in done.stdout, output[-6000:]
    complaints = [line for line in done.stdout.splitlines() if re.match(r"^(WARNING|ERROR|CRITICAL)\b", line)]
    assert complaints == [], "\n".join(complaints)
