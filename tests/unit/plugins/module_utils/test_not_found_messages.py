"""Every "not found" message says where the tool looked (account and Region): someone juggling several accounts
mid-incident needs that. The kind is tested, not each message: every raise whose message says something is not
found or does not exist must be a NotFoundError, which AwsIrModule.run completes with the account and Region."""

import ast
import re
from pathlib import Path

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError

PLUGINS = Path(__file__).resolve().parents[4] / "plugins"
NOT_FOUND = re.compile(r"not found|does not exist|no such", re.IGNORECASE)


def _text(node):
    """The literal text of a message argument (the constant parts of an f-string)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(v) for v in node.values)
    return ""


def _raises(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            name = getattr(node.exc.func, "id", None) or getattr(node.exc.func, "attr", None)
            yield node.lineno, name, _text(node.exc.args[0])


SOURCES = sorted(list((PLUGINS / "module_utils").rglob("*.py")) + list((PLUGINS / "modules").glob("*.py")))


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(PLUGINS)) for p in SOURCES])
def test_every_not_found_message_is_a_not_found_error_that_names_the_account_and_region(path):
    offending = [(line, name, text) for line, name, text in _raises(path) if NOT_FOUND.search(text) and name != "NotFoundError"]
    assert offending == []
    for _line, name, text in _raises(path):
        if name == "NotFoundError":
            assert "{where}" in text


def test_the_module_fills_in_the_account_and_region_it_looked_in():
    error = NotFoundError("instance_ids: i-0123456789abcdef0 not found in {where}")
    assert str(error) == "instance_ids: i-0123456789abcdef0 not found in this account and Region"
    assert error.located("123456789012", "eu-west-1") == "instance_ids: i-0123456789abcdef0 not found in account 123456789012, Region eu-west-1"
    elsewhere = NotFoundError("copy_to.kms_key_id 'alias/k' does not exist in {where}", region="eu-central-1")
    assert elsewhere.located("123456789012", "us-east-1").endswith("in account 123456789012, Region eu-central-1")
