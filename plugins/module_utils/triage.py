# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Triage profiles: what to collect from a live host, in the order of volatility (RFC 3227).

A profile is sent to SSM Run Command as a list of lines, never as one assembled
string. Its first line defines ``ir_step``; every other line is one step,
``ir_step NAME TOOL ARGS...`` (PowerShell: ``ir_step NAME TOOL { script }``).
Each step frames its output so the evidence keeps steps apart::

    ##IR## step=NAME tool=TOOL start=2026-11-29T20:15:01Z
    ...the tool's output (stdout and stderr)...
    ##IR## end=NAME rc=0

A tool the host lacks gives rc 127 and does not stop the other steps;
``ir_fallback NAME TOOL ...`` runs only when step NAME ended with rc 127
(``ss``, else ``netstat``: Amazon Linux 2023 has no netstat).
"""

import re

LINUX_DOCUMENT = "AWS-RunShellScript"
WINDOWS_DOCUMENT = "AWS-RunPowerShellScript"
# The SSM Agent's S3 key layout below PREFIX/COMMAND_ID/INSTANCE_ID/ for each document's plugin.
OUTPUT_PLUGIN_PATHS = {
    LINUX_DOCUMENT: "awsrunShellScript/0.awsrunShellScript",
    WINDOWS_DOCUMENT: "awsrunPowerShellScript/0.awsrunPowerShellScript",
}

_SH_PRELUDE = (
    "ir_step() { n=\"$1\"; t=\"$2\"; shift 2; "
    "printf '\\n##IR## step=%s tool=%s start=%s\\n' \"$n\" \"$t\" \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"; "
    "if command -v \"$t\" >/dev/null 2>&1; then \"$t\" \"$@\" 2>&1; rc=$?; else rc=127; fi; "
    "eval \"ir_rc_$n=$rc\"; printf '##IR## end=%s rc=%s\\n' \"$n\" \"$rc\"; }; "
    "ir_fallback() { eval \"prev=\\${ir_rc_$1:-0}\"; if [ \"$prev\" = 127 ]; then ir_step \"$@\"; fi; }"
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
)

_PS_PRELUDE = (
    "function ir_step { param([string]$n, [string]$t, [scriptblock]$b) "
    "Write-Output \"`n##IR## step=$n tool=$t start=$((Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'))\"; "
    "if (Get-Command $t -ErrorAction SilentlyContinue) { try { & $b 2>&1 | Out-String -Width 4096; $rc = 0 } "
    "catch { Write-Output $_; $rc = 1 } } else { $rc = 127 }; "
    "Set-Variable -Name \"ir_rc_$n\" -Value $rc -Scope Script; Write-Output \"##IR## end=$n rc=$rc\" }"
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

PROFILES = {
    LINUX_DOCUMENT: (_SH_PRELUDE,) + LINUX_TRIAGE,
    WINDOWS_DOCUMENT: (_PS_PRELUDE,) + WINDOWS_TRIAGE,
}

_MARKER = re.compile(rb"^##IR## (?:step=(?P<step>\S+) tool=(?P<tool>\S+) start=(?P<start>\S+)|end=(?P<end>\S+) rc=(?P<rc>-?\d+))\r?$", re.M)


def document_for(platform_type):
    """The SSM document for an SSM PlatformType: PowerShell for Windows, shell for Linux and MacOS."""
    return WINDOWS_DOCUMENT if platform_type == "Windows" else LINUX_DOCUMENT


def commands_for(document):
    """The triage command lines for a document (list of str)."""
    return list(PROFILES[document])


def parse_steps(output):
    """Split a triage output (bytes) into its steps.

    Returns a list of {"name", "tool", "started_at", "rc" (int, or None when the
    step never ended), "offset", "length"}: offset and length (bytes) locate the
    step's own output inside the object, between its two markers.
    """
    steps, open_step = [], None
    for match in _MARKER.finditer(output):
        if match.group("step"):
            open_step = {"name": match.group("step").decode(), "tool": match.group("tool").decode(),
                         "started_at": match.group("start").decode(), "rc": None, "offset": match.end() + 1, "length": 0}
            steps.append(open_step)
        elif open_step is not None and match.group("end").decode() == open_step["name"]:
            open_step["rc"] = int(match.group("rc"))
            open_step["length"] = max(0, match.start() - open_step["offset"])
            open_step = None
    return steps
