"""Every role is documented (README.md) and validates its variables (meta/argument_specs.yml) before any task runs."""

import pytest

from tests.packaging.support import REPO
from tests.packaging.support import load_yaml
from tests.packaging.support import roles

ROLES = roles()


def spec(role):
    return load_yaml(REPO / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]


def test_there_are_roles_to_check():
    assert len(ROLES) >= 5


@pytest.mark.parametrize("role", ROLES)
def test_the_argument_specification_describes_and_types_every_variable(role):
    main = spec(role)
    assert main["short_description"] and main["options"]
    for name, option in main["options"].items():
        assert name.startswith(f"{role}_"), f"{role}: variable {name!r} is not prefixed with the role name"
        assert option.get("description") and option.get("type"), f"{role}: {name} needs a description and a type"
        assert not (option.get("required") and "default" in option), f"{role}: {name} is required and has a default"


@pytest.mark.parametrize("role", ROLES)
def test_defaults_are_the_ones_the_specification_declares(role):
    path = REPO / "roles" / role / "defaults" / "main.yml"
    defaults = load_yaml(path) if path.exists() else {}
    options = spec(role)["options"]
    assert (defaults or {}) == {k: o["default"] for k, o in options.items() if "default" in o}


@pytest.mark.parametrize("role", ROLES)
def test_the_readme_names_the_role_and_documents_every_variable(role):
    readme = (REPO / "roles" / role / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# secops.aws_ir.{role}\n")
    undocumented = [name for name in spec(role)["options"] if f"`{name}`" not in readme]
    assert undocumented == [], f"roles/{role}/README.md does not document {undocumented}"


@pytest.mark.parametrize("role", ROLES)
def test_galaxy_shows_a_description(role):
    # galaxy-importer reads a role's description from meta/main.yml (it warns without one).
    assert load_yaml(REPO / "roles" / role / "meta" / "main.yml")["galaxy_info"]["description"].strip()
