# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Triage profiles: what to collect from a live host, in the order of volatility (RFC 3227).

A profile is sent to SSM Run Command as a list of lines, never as one assembled
string. Its first lines define the step functions and print a header naming the
ticket and profile; every other line is one step. Shell: ``ir_step NAME TOOL
ARGS...`` runs TOOL with ARGS, ``ir_script NAME TOOL 'SCRIPT'`` runs SCRIPT with
``sh -c`` (the custom profile). PowerShell: ``ir_step NAME TOOL { script }``.
Each step frames its output so the evidence keeps steps apart::

    ##IR## step=NAME tool=TOOL start=2026-11-29T20:15:01Z
    ...the tool's output (stdout and stderr)...
    ##IR## end=NAME rc=0

A tool the host lacks gives rc 127 and does not stop the other steps;
``ir_fallback NAME TOOL ...`` runs only when step NAME ended with rc 127
(``ss``, else ``netstat``: Amazon Linux 2023 has no netstat). Every value put
into a line (ticket, a user's command) is quoted for the target shell.
"""

import hashlib
import re
import shlex

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.shell_quote import POWERSHELL
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.shell_quote import quote_for
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_documents import LINUX_DOCUMENT
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_documents import SHELLS
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_documents import WINDOWS_DOCUMENT

STANDARD = "standard"
CUSTOM = "custom"

_SH_PRELUDE = (
    "ir_begin() { printf '\\n##IR## step=%s tool=%s start=%s\\n' \"$1\" \"$2\" \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"; }",
    "ir_end() { eval \"ir_rc_$1=$2\"; printf '##IR## end=%s rc=%s\\n' \"$1\" \"$2\"; }",
    "ir_step() { n=\"$1\"; t=\"$2\"; shift 2; ir_begin \"$n\" \"$t\"; "
    "if command -v \"$t\" >/dev/null 2>&1; then \"$t\" \"$@\" 2>&1; rc=$?; else rc=127; fi; ir_end \"$n\" \"$rc\"; }",
    "ir_script() { ir_begin \"$1\" \"$2\"; "
    "if command -v \"$2\" >/dev/null 2>&1; then sh -c \"$3\" 2>&1; rc=$?; else rc=127; fi; ir_end \"$1\" \"$rc\"; }",
    "ir_fallback() { eval \"prev=\\${ir_rc_$1:-0}\"; if [ \"$prev\" = 127 ]; then ir_step \"$@\"; fi; }",
)

LINUX_TRIAGE = (
    "ir_step time date -u +%Y-%m-%dT%H:%M:%S.%NZ",
    "ir_step uptime uptime",
    "ir_step users who -a",
    "ir_step sockets ss -tanupe",
    "ir_fallback sockets netstat -tanup",
    "ir_step neighbours ip neigh show",
    "ir_step routes ip route show table all",
    "ir_step interfaces ip address show",
    "ir_step processes ps auxwwf",
    "ir_step open_files lsof -nP +c 0",
    "ir_step memory cat /proc/meminfo",
    "ir_step kernel_modules cat /proc/modules",
    "ir_step mounts cat /proc/mounts",
    "ir_step logins last -Fwx -n 100",
    "ir_step cron_root crontab -l -u root",
    "ir_step cron_system cat /etc/crontab",
    "ir_step cron_dirs ls -la --time-style=full-iso /etc/cron.d /etc/cron.hourly /etc/cron.daily /var/spool/cron",
    "ir_step timers systemctl list-timers --all --no-pager",
)

_PS_PRELUDE = (
    "function ir_step { param([string]$n, [string]$t, [scriptblock]$b) "
    "Write-Output \"`n##IR## step=$n tool=$t start=$((Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'))\"; "
    "if (Get-Command $t -ErrorAction SilentlyContinue) { try { & $b 2>&1 | Out-String -Width 4096; $rc = 0 } "
    "catch { Write-Output $_; $rc = 1 } } else { $rc = 127 }; "
    "Set-Variable -Name \"ir_rc_$n\" -Value $rc -Scope Script; Write-Output \"##IR## end=$n rc=$rc\" }",
)

WINDOWS_TRIAGE = (
    "ir_step time Get-Date { (Get-Date).ToUniversalTime().ToString('o') }",
    "ir_step uptime Get-CimInstance { Get-CimInstance Win32_OperatingSystem | Select-Object LastBootUpTime, LocalDateTime }",
    "ir_step users query { query user }",
    "ir_step tcp Get-NetTCPConnection { Get-NetTCPConnection | Sort-Object State | Format-Table -AutoSize }",
    "ir_step udp Get-NetUDPEndpoint { Get-NetUDPEndpoint | Format-Table -AutoSize }",
    "ir_step neighbours Get-NetNeighbor { Get-NetNeighbor | Format-Table -AutoSize }",
    "ir_step routes Get-NetRoute { Get-NetRoute | Format-Table -AutoSize }",
    "ir_step interfaces Get-NetIPAddress { Get-NetIPAddress | Format-Table -AutoSize }",
    "ir_step processes Get-CimInstance { Get-CimInstance Win32_Process | Select-Object ProcessId, ParentProcessId, Name, CommandLine | Format-List }",
    "ir_step services Get-Service { Get-Service | Format-Table -AutoSize }",
    "ir_step scheduled_tasks Get-ScheduledTask { Get-ScheduledTask | Format-Table -AutoSize }",
    "ir_step local_users Get-LocalUser { Get-LocalUser | Format-Table -AutoSize }",
)

_PRELUDES = {LINUX_DOCUMENT: _SH_PRELUDE, WINDOWS_DOCUMENT: _PS_PRELUDE}
_STANDARD_STEPS = {LINUX_DOCUMENT: LINUX_TRIAGE, WINDOWS_DOCUMENT: WINDOWS_TRIAGE}
_MARKER = re.compile(rb"^##IR## (?:step=(?P<step>\S+) tool=(?P<tool>\S+) start=(?P<start>\S+)|end=(?P<end>\S+) rc=(?P<rc>-?\d+))\r?$", re.M)
# A command's first word that names a program we can look for (not an assignment, keyword or operator).
_PROGRAM = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+/-]*$")
_SH_KEYWORDS = {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "in", "function", "select", "time"}


class ProfileError(AwsIrError, ValueError):
    """A triage profile that cannot be built (the message names the option)."""


def _tool_of(command, shell):
    """The program a user's command starts with, checked for before it runs; the shell itself when unclear."""
    try:
        words = shlex.split(command, posix=True) if shell != POWERSHELL else command.split()
    except ValueError:
        words = command.split()
    first = words[0] if words else ""
    if not _PROGRAM.match(first) or first in _SH_KEYWORDS:
        return "sh" if shell != POWERSHELL else "Invoke-Command"
    return first


def custom_steps(document, commands):
    """One framed step per user command, ``custom_1`` ... ``custom_N``, each command quoted for the shell (list of str)."""
    shell = SHELLS[document]
    lines = []
    for number, command in enumerate(commands, start=1):
        if not str(command).strip():
            raise ProfileError(f"custom_commands item {number} is empty")
        name = f"custom_{number}"
        quoted_tool = quote_for(shell, _tool_of(command, shell), "custom_commands tool")
        quoted_command = quote_for(shell, command, f"custom_commands item {number}")
        if shell == POWERSHELL:
            lines.append(f"ir_step {name} {quoted_tool} ([scriptblock]::Create({quoted_command}))")
        else:
            lines.append(f"ir_script {name} {quoted_tool} {quoted_command}")
    return lines


def header(document, ticket, profile):
    """The first output line: which ticket and profile this evidence belongs to (values quoted)."""
    text = quote_for(SHELLS[document], f"##IR## ticket={ticket} profile={profile}", "ticket")
    return f"Write-Output {text}" if SHELLS[document] == POWERSHELL else f"printf '%s\\n' {text}"


def commands_for(document, ticket, profile=STANDARD, custom=None):
    """The command lines of a triage profile for a document (list of str, one line each).

    profile: STANDARD (the built-in steps of the platform) or CUSTOM (custom: the
    user's own commands for this platform, one step each).
    """
    steps = list(_STANDARD_STEPS[document]) if profile == STANDARD else custom_steps(document, custom or [])
    return list(_PRELUDES[document]) + [header(document, ticket, profile)] + steps


def _standard_step(line):
    """(name, tool, command) of a built-in step line."""
    _kind, name, tool, rest = (line.split(" ", 3) + [""])[:4]
    command = rest[1:-1].strip() if rest.startswith("{") else f"{tool} {rest}".strip()
    return name, tool, command


def step_commands(document, profile=STANDARD, custom=None):
    """{(step name, tool): the command the step runs} for a profile, to label the steps found in its output."""
    if profile == STANDARD:
        return {(name, tool): command for name, tool, command in map(_standard_step, _STANDARD_STEPS[document])}
    shell = SHELLS[document]
    return {(f"custom_{n}", _tool_of(c, shell)): c for n, c in enumerate(custom or [], start=1)}


def parse_steps(output, commands=None):
    """Split a triage output (bytes) into its steps.

    Returns a list of {"name", "tool", "command", "started_at", "rc" (int, or None
    when the step never ended), "offset", "length", "sha256"}: offset and length
    (bytes) locate the step's own output inside the object, between its two
    markers (to the end of the data when it never ended); sha256 is the hash of
    those bytes, so each step can be verified on its own. commands: what
    step_commands gives for the profile that was sent.
    """
    steps, open_step = [], None
    for match in _MARKER.finditer(output):
        if match.group("step"):
            name, tool = match.group("step").decode(), match.group("tool").decode()
            open_step = {"name": name, "tool": tool, "command": (commands or {}).get((name, tool)),
                         "started_at": match.group("start").decode(), "rc": None, "offset": match.end() + 1, "length": None}
            steps.append(open_step)
        elif open_step is not None and match.group("end").decode() == open_step["name"]:
            open_step["rc"] = int(match.group("rc"))
            open_step["length"] = max(0, match.start() - open_step["offset"])
            open_step = None
    for step in steps:
        if step["length"] is None:
            step["length"] = max(0, len(output) - step["offset"])
        step["sha256"] = hashlib.sha256(output[step["offset"]:step["offset"] + step["length"]]).hexdigest()
    return steps


def validate_profile(profile, custom_commands):
    """Refuse custom_commands without the custom profile, and the custom profile without a command."""
    given = any((custom_commands or {}).values())
    if profile == CUSTOM and not given:
        raise ProfileError("triage_profile is custom but custom_commands has no command (custom_commands.linux or custom_commands.windows)")
    if profile != CUSTOM and given:
        raise ProfileError(f"custom_commands are only run with triage_profile=custom (triage_profile is {profile})")
