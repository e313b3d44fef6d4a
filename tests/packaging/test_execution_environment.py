"""execution-environment.yml becomes an ansible-builder build context, and the collection tells
ansible-builder every Python library its modules document as a requirement."""

import hashlib
import json
import re
import shutil

import yaml

from tests.packaging.support import BIN
from tests.packaging.support import COLLECTION
from tests.packaging.support import REPO
from tests.packaging.support import checked
from tests.packaging.support import galaxy
from tests.packaging.support import load_yaml
from tests.packaging.support import modules


def requirement_names(lines):
    return {re.split(r"[\s<>=!~\[;]", line.strip(), maxsplit=1)[0].lower() for line in lines
            if line.strip() and not line.lstrip().startswith("#")}


def build_context(tarball, tmp_path):
    """`ansible-builder create` as docs/docsite/rst/awx.rst says to run it: execution-environment.yml beside the built tarball."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy2(REPO / "execution-environment.yml", project)
    shutil.copy2(tarball, project)
    context = tmp_path / "context"
    checked([BIN / "ansible-builder", "create", "--file", project / "execution-environment.yml", "--context", context,
             "--output-filename", "Containerfile"])
    return context


def test_ansible_builder_creates_the_build_context_from_the_local_tarball(collection_tarball, tmp_path):
    context = build_context(collection_tarball, tmp_path)
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    definition = load_yaml(REPO / "execution-environment.yml")
    assert definition["version"] == 3
    assert f"ARG EE_BASE_IMAGE=\"{definition['images']['base_image']['name']}\"" in containerfile
    # The tarball this checkout built is in the context, byte for byte; nothing names Galaxy or a hub.
    shipped = context / "_build" / "collections" / collection_tarball.name
    assert hashlib.sha256(shipped.read_bytes()).digest() == hashlib.sha256(collection_tarball.read_bytes()).digest()
    collections = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))["collections"]
    assert collections == [{"name": f"/build/collections/{collection_tarball.name}", "type": "file"}]
    assert 'ARG ANSIBLE_GALAXY_CLI_COLLECTION_OPTS="--offline --no-deps"' in containerfile
    assert "COPY _build /build" in containerfile and "ansible-galaxy collection install" in containerfile
    # amazon.aws and ansible-runner come from PyPI, at the versions the tests run.
    pins = dict(line.split("==") for line in (REPO / "constraints.txt").read_text(encoding="utf-8").split() if "==" in line)
    python = (context / "_build" / "requirements.txt").read_text(encoding="utf-8").split()
    assert f"ansible=={pins['ansible']}" in python
    assert f'ARG ANSIBLE_INSTALL_REFS="ansible-core=={pins["ansible-core"]} ansible-runner=={pins["ansible-runner"]}"' in containerfile


def test_the_galaxy_stage_installs_the_collection_offline(collection_tarball, tmp_path):
    """What the Containerfile's galaxy stage runs in /build, here in the context's _build (--force: this
    checkout is already installed in .venv, which ansible-galaxy would otherwise take as done)."""
    build = build_context(collection_tarball, tmp_path) / "_build"
    requirements = (build / "requirements.yml").read_text(encoding="utf-8").replace("/build/", f"{build}/")
    (build / "requirements.local.yml").write_text(requirements, encoding="utf-8")
    collections = tmp_path / "collections"
    checked([BIN / "ansible-galaxy", "collection", "install", "--offline", "--no-deps", "--force", "-r", build / "requirements.local.yml",
             "--collections-path", collections], cwd=build)
    manifest = json.loads((collections / "ansible_collections" / "secops" / "aws_ir" / "MANIFEST.json").read_text(encoding="utf-8"))
    assert manifest["collection_info"]["version"] == galaxy()["version"]


def test_ansible_builder_finds_the_python_libraries_the_modules_require(collection_tarball, tmp_path):
    checked([BIN / "ansible-galaxy", "collection", "install", "--offline", "--no-deps", "--force", "-p", tmp_path, collection_tarball])
    checked([BIN / "ansible-builder", "introspect", "--write-pip", tmp_path / "pip.txt", tmp_path])
    lines = (tmp_path / "pip.txt").read_text(encoding="utf-8").splitlines()
    pip = requirement_names(line for line in lines if f"# from collection {COLLECTION}" in line)
    documented = json.loads(checked([BIN / "ansible-doc", "--json", *[f"{COLLECTION}.{m}" for m in modules()]]).stdout)
    required = requirement_names(r for doc in documented.values() for r in doc["doc"].get("requirements", []))
    assert required - {"python"} <= pip, f"requirements.txt lacks {sorted(required - {'python'} - pip)}"
