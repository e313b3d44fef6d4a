# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Quote a value for the shell that will run it, so it stays one literal word.

Every value we put into a Run Command line (ticket, parameter names, hashes,
a user's own command) goes through quote_for: the POSIX shell gets a
single-quoted word (shlex.quote), PowerShell a single-quoted string in which
each of its five single-quote characters is doubled. Inside single quotes
neither shell expands anything ($, backticks, ;, |, newlines stay literal).
"""

import shlex

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError

POWERSHELL = "powershell"
POSIX_SH = "sh"
# PowerShell treats the ASCII apostrophe and these four typographic marks as single quotes;
# any of them would end a single-quoted string unless doubled.
_PS_SINGLE_QUOTES = ("'", "\u2018", "\u2019", "\u201a", "\u201b")


class QuotingError(AwsIrError, ValueError):
    """A value no shell can carry as a literal (a NUL character)."""


def _check(value, field):
    text = str(value)
    if "\x00" in text:
        raise QuotingError(f"{field} {text!r} holds a NUL character, which no shell command can carry")
    return text


def sh_quote(value, field="value"):
    """value as one POSIX sh word."""
    return shlex.quote(_check(value, field))


def ps_quote(value, field="value"):
    """value as one PowerShell single-quoted string literal."""
    text = _check(value, field)
    for mark in _PS_SINGLE_QUOTES:
        text = text.replace(mark, mark + mark)
    return f"'{text}'"


def quote_for(shell, value, field="value"):
    """value quoted for shell (POSIX_SH or POWERSHELL)."""
    return ps_quote(value, field) if shell == POWERSHELL else sh_quote(value, field)
