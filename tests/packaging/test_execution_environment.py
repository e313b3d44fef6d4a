"""execution-environment.yml becomes an ansible-builder build context, and the collection tells
ansible-builder every Python library its modules document as a requirement."""

import json
import re

import yaml

from tests.packaging.support import BIN
from tests.packaging.support import COLLECTION
from tests.packaging.support import REPO
from tests.packaging.support import checked
from tests.packaging.support import load_yaml
from tests.packaging.support import modules


def requirement_names(lines):
    return {re.split(r"[\s<>=!~\[;]", line.strip(), maxsplit=1)[0].lower() for line in lines
            if line.strip() and not line.lstrip().startswith("#")}


def test_ansible_builder_creates_the_build_context(tmp_path):
    checked([BIN / "ansible-builder", "create", "--file", REPO / "execution-environment.yml", "--context", tmp_path,
             "--output-filename", "Containerfile"])
    containerfile = (tmp_path / "Containerfile").read_text(encoding="utf-8")
    definition = load_yaml(REPO / "execution-environment.yml")
    assert definition["version"] == 3
    assert f"ARG EE_BASE_IMAGE=\"{definition['images']['base_image']['name']}\"" in containerfile
    collections = yaml.safe_load((tmp_path / "_build" / "requirements.yml").read_text(encoding="utf-8"))["collections"]
    assert {c["name"] for c in collections} == {COLLECTION, "amazon.aws"}
    assert "ansible-galaxy collection install" in containerfile and "introspect" in containerfile


def test_ansible_builder_finds_the_python_libraries_the_modules_require(collection_tarball, tmp_path):
    checked([BIN / "ansible-galaxy", "collection", "install", "--offline", "--no-deps", "--force", "-p", tmp_path, collection_tarball])
    checked([BIN / "ansible-builder", "introspect", "--write-pip", tmp_path / "pip.txt", tmp_path])
    lines = (tmp_path / "pip.txt").read_text(encoding="utf-8").splitlines()
    pip = requirement_names(line for line in lines if f"# from collection {COLLECTION}" in line)
    documented = json.loads(checked([BIN / "ansible-doc", "--json", *[f"{COLLECTION}.{m}" for m in modules()]]).stdout)
    required = requirement_names(r for doc in documented.values() for r in doc["doc"].get("requirements", []))
    assert required - {"python"} <= pip, f"requirements.txt lacks {sorted(required - {'python'} - pip)}"
