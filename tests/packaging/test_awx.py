"""The AWX / Automation Controller job templates and surveys (extensions/awx/).

AWX sends survey answers as extra variables: text as strings, integers as numbers, a
multiple choice as the chosen string. tests/end_to_end/test_job_templates.py launches
respond.yml with such answers against the lab.
"""

import re

import boto3
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
ACCEPTS = {"text": {"str", "list", "raw"}, "textarea": {"str", "list", "dict", "raw"}, "password": {"str", "raw"},
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
def test_separate_incidents_run_side_by_side_and_releases_never_overlap(playbook):
    template = TEMPLATES[playbook]
    assert template["ask_credential_on_launch"] is True
    assert template["job_slice_count"] == 1
    # respond.yml holds a per-ticket lease; release.yml holds none, so its runs queue.
    assert template["allow_simultaneous"] is (playbook != "playbooks/release.yml")
    assert template["diff_mode"] is (playbook != "playbooks/verify.yml")


def test_the_respond_survey_offers_every_choice_of_the_response_and_no_controller_path():
    questions = {q["variable"]: q for q in survey(TEMPLATES["playbooks/respond.yml"])["spec"]}
    assert {"credentials_containment", "forensic_instance_profile", "disassociate_elastic_ips", "memory", "memory_tools",
            "copy_to", "capture_volatile", "aws_region"} <= set(questions)
    accepted = playbook_argument_spec("playbooks/respond.yml")
    assert questions["credentials_containment"]["choices"] == accepted["credentials_containment"]["choices"]
    # A folder on the execution node is gone with the job's container.
    assert "evidence_local_dir" not in questions


@pytest.mark.parametrize("playbook", sorted(TEMPLATES))
def test_the_region_is_chosen_from_the_regions_aws_lists(playbook):
    region = next(q for q in survey(TEMPLATES[playbook])["spec"] if q["variable"] == "aws_region")
    # botocore's endpoint data for the aws partition: every choice must be a Region EC2 is offered in.
    known = set(boto3.session.Session().get_available_regions("ec2"))
    assert region["type"] == "multiplechoice" and region["default"] == "us-east-1"
    assert set(region["choices"]) <= known, sorted(set(region["choices"]) - known)


WORKFLOWS = CONTROLLER["aws_ir_workflow_job_templates"]


def test_the_workflow_verifies_what_respond_wrote():
    (workflow,) = WORKFLOWS
    nodes = {n["identifier"]: n for n in workflow["nodes"]}
    names = {t["name"]: playbook for playbook, t in TEMPLATES.items()}
    assert [names[n["job_template"]] for n in workflow["nodes"]] == ["playbooks/respond.yml", "playbooks/verify.yml"]
    assert nodes["respond"]["success_nodes"] == ["verify"]
    assert workflow["survey_file"] == TEMPLATES["playbooks/respond.yml"]["survey_file"]
    # The artifacts respond.yml exports are verify.yml's own variables.
    exported = set(load_yaml_keys(REPO / "playbooks" / "templates" / "respond_stats.j2"))
    verify = playbook_argument_spec("playbooks/verify.yml")
    assert {"ticket", "aws_region", "evidence_bucket", "manifest_version_id", "manifest_sha256"} <= exported & set(verify)


def load_yaml_keys(template):
    """The top-level keys a YAML-producing Jinja template writes (lines `name: ...` at column 0)."""
    return [line.split(":", 1)[0] for line in template.read_text(encoding="utf-8").splitlines() if re.match(r"^[a-z][a-z0-9_]*:", line)]


def test_team_roles_name_objects_the_configuration_creates():
    templates = {t["name"] for t in CONTROLLER["aws_ir_job_templates"]}
    workflows = {w["name"] for w in WORKFLOWS}
    for team in CONTROLLER["aws_ir_teams"]:
        for role in team["roles"]:
            assert role["role"] in {"execute", "read", "use", "admin"}
            assert set(role.get("job_templates", [])) <= templates and set(role.get("workflows", [])) <= workflows
            assert set(role.get("inventories", [])) <= {CONTROLLER["aws_ir_inventory"]["name"]}
    auditors = next(t for t in CONTROLLER["aws_ir_teams"] if "auditor" in t["name"].lower())
    executes = {name for role in auditors["roles"] if role["role"] == "execute" for name in role.get("job_templates", [])}
    assert executes == {TEMPLATES["playbooks/verify.yml"]["name"]}


def test_the_project_needs_no_galaxy_at_sync():
    # AWX installs collections/requirements.yml at project sync; the collections are in the EE instead.
    assert not (REPO / "collections" / "requirements.yml").exists()
    assert "requirements.yml" not in CONTROLLER["aws_ir_project"]["description"]
    hub = load_yaml(AWX / "private-hub" / "requirements.yml")
    assert [c["name"] for c in hub["collections"]] == ["secops.aws_ir", "amazon.aws"]


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
