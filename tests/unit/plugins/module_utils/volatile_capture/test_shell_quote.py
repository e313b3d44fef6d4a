import subprocess

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.shell_quote import POSIX_SH
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.shell_quote import POWERSHELL
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.shell_quote import QuotingError
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.shell_quote import ps_quote
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.shell_quote import quote_for
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.shell_quote import sh_quote

# Every way a value could end a word or start a command in sh or PowerShell.
NASTY = [
    "INC-1; touch {sentinel}",
    "$(touch {sentinel})",
    "`touch {sentinel}`",
    "a' ; touch {sentinel} ; '",
    'a" ; touch {sentinel} ; "',
    "x\ntouch {sentinel}",
    "| touch {sentinel} &",
    "${{IFS}}touch${{IFS}}{sentinel}",
    "-n -e \\c",
    "\u2019; touch {sentinel}; \u2018",
    "",
]


@pytest.mark.parametrize("template", NASTY)
def test_sh_quote_keeps_any_value_one_literal_word_and_runs_nothing(tmp_path, template):
    sentinel = tmp_path / "ran"
    value = template.format(sentinel=sentinel)
    done = subprocess.run(["sh", "-c", f"printf '%s' {sh_quote(value)}"], capture_output=True, timeout=10, check=True)
    assert done.stdout.decode() == value
    assert not sentinel.exists()


def test_ps_quote_doubles_every_single_quote_powershell_knows():
    # PowerShell ends a single-quoted string at ' and at the typographic quotes U+2018..U+201B.
    assert ps_quote("it's") == "'it''s'"
    assert ps_quote("a\u2018b\u2019c\u201ad\u201be") == "'a\u2018\u2018b\u2019\u2019c\u201a\u201ad\u201b\u201be'"
    assert ps_quote("$(Remove-Item C:\\) `n \"x\"") == "'$(Remove-Item C:\\) `n \"x\"'"


def test_quote_for_picks_the_shell():
    assert quote_for(POSIX_SH, "a b") == "'a b'"
    assert quote_for(POWERSHELL, "a b") == "'a b'"
    assert quote_for(POSIX_SH, "it's") == "'it'\"'\"'s'"


def test_a_nul_character_is_refused_naming_the_field():
    with pytest.raises(QuotingError, match="ticket"):
        sh_quote("a\x00b", "ticket")
    with pytest.raises(QuotingError, match="custom_commands"):
        ps_quote("a\x00b", "custom_commands item 1")
