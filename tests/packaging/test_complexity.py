"""No function in plugins/ is more complex than LIMIT (radon's cyclomatic complexity) unless a comment says why.

The comment is a line ``# complexity: <why>`` in the comment block right above the ``def`` (or its decorators).
"""

import re
import textwrap

import pytest
from radon.complexity import cc_visit

from tests.packaging.support import REPO

LIMIT = 15
_WHY = re.compile(r"^\s*#\s*complexity:\s*\S")


def functions(code):
    """Every function and method radon finds in the code (radon lists methods on their own too, beside their class)."""
    return [block for block in cc_visit(code) if not hasattr(block, "methods")]


def has_reason(lines, lineno):
    """Whether the comment block above line lineno (1-based, the def), past its decorators, holds a complexity: line."""
    index = lineno - 2
    while index >= 0 and lines[index].lstrip().startswith("@"):
        index -= 1
    while index >= 0 and lines[index].lstrip().startswith("#"):
        if _WHY.match(lines[index]):
            return True
        index -= 1
    return False


def offenders(code, name):
    lines = code.splitlines()
    return [f"{name}:{f.lineno} {f.fullname} has complexity {f.complexity}" for f in functions(code)
            if f.complexity > LIMIT and not has_reason(lines, f.lineno)]


def test_no_function_in_plugins_is_above_the_limit_without_a_comment_saying_why():
    found = [problem for path in sorted((REPO / "plugins").rglob("*.py"))
             for problem in offenders(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))]
    assert found == []


TANGLED = "".join(f"    if x == {n}:\n        x += 1\n" for n in range(LIMIT)) + "    return x\n"


@pytest.mark.parametrize("code, found", [
    (f"def tangled(x):\n{TANGLED}", ["example.py:1 tangled has complexity 16"]),
    ("class Run:\n" + textwrap.indent(f"def tangled(self, x):\n{TANGLED}", "    "), ["example.py:2 Run.tangled has complexity 16"]),
    (f"# complexity: one branch per AWS error code, each with its own message\n@staticmethod\ndef tangled(x):\n{TANGLED}", []),
    (f"# one branch per AWS error code\ndef tangled(x):\n{TANGLED}", ["example.py:2 tangled has complexity 16"]),
    ("def simple(x):\n    return x\n", []),
])
def test_the_check_finds_a_function_above_the_limit_unless_a_comment_says_why(code, found):
    assert offenders(code, "example.py") == found
