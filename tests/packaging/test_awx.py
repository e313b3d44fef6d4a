"""The AWX / Automation Controller job templates and surveys (extensions/awx/).

AWX sends survey answers as extra variables: text as strings, integers as numbers, a
multiple choice as the chosen string. tests/integration/test_job_templates.py launches
respond.yml with such answers against the lab.
"""

import re

import pytest

from tests.packaging.support import BIN
from tests.packaging.support import REPO
from tests.packaging.support import checked
from tests.packaging.support import load_yaml

AWX = REPO / "extensions" / "awx"
CONTROLLER = load_yaml(AWX / "controller.yml")
TEMPLATES = {t["playbook"]: t for t in CONTROLLER["aws_ir_job_templates"]}
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
# What a survey type delivers, and the argument-spec types that accept it.
ACCEPTS = {"text": {"str", "list", "raw"}, "textarea": {"str", "list", "raw"}, "password": {"str", "raw"},
           "integer": {"int", "raw"}, "float": {"float", "raw"}, "multiplechoice": {"str", "bool", "raw"},
           "multiselect": {"list", "raw"}}


def survey(template):
    return load_yaml(AWX / template["survey_file"])


def playbook_argument_spec(playbook):
    """The argument_spec of the playbook's validate_argument_spec task (its variables and their types)."""
    for play in load_yaml(REPO / playbook):
        for task in play.get("tasks", []):
            if "ansible.builtin.validate_argument_spec" in task:
                return task["ansible.builtin.validate_argument_spec"]["argument_spec"]
    raise AssertionError(f"{playbook} validates no variables")


def test_respond_release_and_verify_have_a_job_template():
    assert sorted(TEMPLATES) == ["playbooks/release.yml", "playbooks/respond.yml", "playbooks/verify.yml"]


@pytest.mark.parametrize("playbook", sorted(TEMPLATES))
def test_the_survey_is_a_valid_awx_survey_that_asks_for_the_ticket(playbook):
    spec = survey(TEMPLATES[playbook])
    assert spec["name"] and spec["description"] and spec["spec"]
    variables = [q["variable"] for q in spec["spec"]]
    assert len(variables) == len(set(variables))
    for question in spec["spec"]:
        assert question["question_name"] and question["type"] in SURVEY_TYPES and isinstance(question["required"], bool)
        assert re.match(r"^[a-z][a-z0-9_]*$", question["variable"])
        if question["type"] in ("multiplechoice", "multiselect"):
            assert all(isinstance(c, str) for c in question["choices"]) and question.get("default", question["choices"][0]) in question["choices"]
        if question["type"] in ("text", "textarea") and "default" in question:
            assert question["min"] <= len(question["default"]) <= question["max"]
    ticket = next(q for q in spec["spec"] if q["variable"] == "ticket")
    # The ticket: required, at most 64 characters (the collection's limit for tag values and S3 prefixes).
    assert (ticket["type"], ticket["required"], ticket["min"], ticket["max"]) == ("text", True, 1, 64)


@pytest.mark.parametrize("playbook", sorted(TEMPLATES))
def test_runs_of_one_ticket_never_overlap_where_they_change_something(playbook):
    template = TEMPLATES[playbook]
    assert template["ask_credential_on_launch"] is True
    assert template["job_slice_count"] == 1
    if playbook != "playbooks/verify.yml":
        assert template["allow_simultaneous"] is False and template["diff_mode"] is True


@pytest.mark.parametrize("playbook", sorted(TEMPLATES))
def test_the_survey_asks_only_what_the_playbook_accepts_and_all_it_requires(playbook):
    assert (REPO / playbook).is_file()
    accepted = playbook_argument_spec(playbook)
    questions = {q["variable"]: q for q in survey(TEMPLATES[playbook])["spec"]}
    assert set(questions) <= set(accepted), f"{playbook} does not accept {sorted(set(questions) - set(accepted))}"
    required = {name for name, spec in accepted.items() if spec.get("required")}
    assert required <= {name for name, q in questions.items() if q["required"]}
    for name, question in questions.items():
        assert accepted[name]["type"] in ACCEPTS[question["type"]], f"{name}: survey {question['type']} for {accepted[name]['type']}"
        if accepted[name]["type"] == "bool":
            assert question["choices"] in (["true", "false"], ["false", "true"]), name


def test_the_configuration_playbook_is_valid():
    checked([BIN / "ansible-playbook", "--syntax-check", AWX / "configure_controller.yml"])
    for template in TEMPLATES.values():
        assert (AWX / template["survey_file"]).is_file()
