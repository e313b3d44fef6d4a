"""ansible-doc renders every module (examples and return values) and every role's argument specification."""

import json
import re

import pytest
import yaml

from tests.packaging.support import BIN
from tests.packaging.support import COLLECTION
from tests.packaging.support import REPO
from tests.packaging.support import checked
from tests.packaging.support import load_yaml
from tests.packaging.support import modules
from tests.packaging.support import roles

MODULES = [f"{COLLECTION}.{name}" for name in modules()]


@pytest.fixture(scope="module")
def rendered():
    """{module: its text page}, from one ansible-doc run over every module."""
    text = checked([BIN / "ansible-doc", *MODULES]).stdout
    pages = re.split(r"^> MODULE ", text, flags=re.MULTILINE)[1:]
    return {page.split()[0]: page for page in pages}


@pytest.fixture(scope="module")
def documented():
    return json.loads(checked([BIN / "ansible-doc", "--json", *MODULES]).stdout)


def test_there_are_modules_to_check():
    assert len(MODULES) >= 5


@pytest.mark.parametrize("module", MODULES)
def test_the_page_renders_with_examples_and_return_values(rendered, module):
    page = rendered[module]
    assert "OPTIONS (= indicates it is required):" in page
    assert re.search(r"^EXAMPLES:\n.*\S", page, flags=re.MULTILINE | re.DOTALL)
    assert re.search(r"^RETURN VALUES:\n.*\S", page, flags=re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("module", MODULES)
def test_every_example_calls_the_module_and_every_return_value_is_described(documented, module):
    doc = documented[module]
    tasks = yaml.safe_load(doc["examples"])
    assert tasks and all(isinstance(task, dict) and task.get("name") for task in tasks)
    assert any(module in task for task in tasks), f"no example of {module} calls it by its FQCN"
    assert doc["return"], f"{module} documents no return value"
    for key, value in doc["return"].items():
        assert value.get("description") and value.get("type") and value.get("returned"), f"{module}: return value {key!r}"
    assert doc["doc"]["version_added"] and doc["doc"]["short_description"]


def _undocumented(spec, path):
    """Every key below spec (RETURN) without a description, a type or a sample, or a list without its elements' type."""
    found = []
    for key, value in spec.items():
        where = f"{path}{key}"
        found += [f"{where}: no {field}" for field in ("description", "type", "sample") if field not in value]
        if value.get("type") == "list" and not value.get("elements"):
            found.append(f"{where}: a list without elements")
        found += _undocumented(value.get("contains") or {}, f"{where}.")
    return found


@pytest.mark.parametrize("module", MODULES)
def test_every_return_value_at_every_depth_has_a_type_and_a_sample(documented, module):
    # As amazon.aws documents its modules (ec2_snapshot): nested contains, each key with its type and a sample.
    assert _undocumented(documented[module]["return"], "") == []


def test_every_role_has_an_argument_specification_ansible_doc_renders():
    listed = json.loads(checked([BIN / "ansible-doc", "-t", "role", "--list", "--json", COLLECTION]).stdout)
    assert sorted(name.split(".")[-1] for name in listed) == roles()
    for role in roles():
        page = checked([BIN / "ansible-doc", "-t", "role", f"{COLLECTION}.{role}"]).stdout
        assert re.search(r"^ENTRY POINT: \*?main\*? - \S", page, flags=re.MULTILINE), page[:500]
        options = load_yaml(REPO / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
        assert all(option in page for option in options)
