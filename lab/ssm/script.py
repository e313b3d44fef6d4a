"""The lab's script model: what a host prints for a Run Command script, without running anything.

Lines that define functions are skipped; ``ir_step NAME TOOL ARGS`` frames one triage step;
``ir_fallback NAME TOOL ARGS`` runs only when step NAME's tool was missing (rc 127);
``ir_script NAME TOOL SCRIPT`` frames a step that runs the first command of SCRIPT; any other
line is a command whose first word is the tool.
"""
import datetime
import hashlib
import shlex
from dataclasses import dataclass

MISSING = 127
# Shell and PowerShell words that print nothing (lower case; PowerShell names are case-insensitive).
_SILENT = {"set", "export", "cd", "umask", "trap", "unset", "readonly", "true", ":", "exit", "shopt", "local", "wait",
           "set-strictmode", "set-location", "import-module"}
_ECHO = {"echo", "write-output", "write-host"}
# Shells a step may name as its tool (ir_script): every host has one.
_SHELLS = {"sh", "bash", "invoke-command"}
# Where a shell script's first simple command ends.
_OPERATORS = {"|", "||", "&&", ";", "&", ">", ">>", "<", "2>", "2>&1"}


@dataclass
class ScriptResult:
    """What a script left behind."""

    stdout: str
    stderr: str
    exit_code: int


def script_lines(commands):
    """The lines of a ``commands`` parameter (a list whose items may themselves hold several lines)."""
    return [line for item in commands for line in str(item).splitlines()]


def host_context(instance_id, ip, hostname, now=None):
    """Template values for a host's canned outputs: its addresses and times relative to now."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    octets = (ip or "10.20.1.10").split(".")
    incident = now - datetime.timedelta(hours=10)
    boot = now - datetime.timedelta(days=12, hours=7, minutes=41)
    digest = hashlib.sha256(instance_id.encode()).hexdigest()
    return {
        "instance_id": instance_id, "ip": ip, "hostname": hostname,
        "network": ".".join(octets[:3] + ["0"]), "gateway": ".".join(octets[:3] + ["1"]), "broadcast": ".".join(octets[:3] + ["255"]),
        "mac": "0a:" + ":".join(digest[i:i + 2] for i in range(0, 10, 2)),
        "date": now.strftime("%a %b %e %H:%M:%S UTC %Y"), "clock": now.strftime("%H:%M:%S"), "clock_short": now.strftime("%H:%M"),
        "day": now.strftime("%b %e"), "win_date": now.strftime("%A, %B %d, %Y %I:%M:%S %p"),
        "incident_clock": incident.strftime("%H:%M"), "incident_day": incident.strftime("%b %e"),
        "incident_iso": incident.strftime("%Y-%m-%d %H:%M"), "incident_last": incident.strftime("%a %b %e %H:%M"),
        "incident_win": incident.strftime("%m/%d/%Y %I:%M %p"),
        "boot_ps": boot.strftime("%b%d"), "boot_last": boot.strftime("%a %b %e %H:%M"), "boot_full": boot.strftime("%a %b %e %H:%M:%S %Y"),
        "login1_last": (now - datetime.timedelta(days=4)).strftime("%a %b %e"),
        "login2_last": (now - datetime.timedelta(days=8)).strftime("%a %b %e"),
    }


def _words(line):
    try:
        return shlex.split(line)
    except ValueError:  # PowerShell quoting that POSIX rules cannot parse
        return line.split()


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _ScriptRun:
    """One pass over a script, collecting stdout, stderr and each step's rc."""

    def __init__(self, host, context, missing=()):
        self.host = host
        self.context = context
        self.missing = {host.fold(tool) for tool in missing}
        self.stdout = []
        self.stderr = []
        self.step_rc = {}

    def line(self, line):
        line = line.strip()
        if not line or line.startswith("#") or self.host.defines_function(line):
            return
        words = _words(line)
        if not words:
            return
        if words[0] in ("ir_step", "ir_fallback") and len(words) >= 3:
            name, tool, args = words[1], words[2], words[3:]
            if words[0] == "ir_fallback" and self.step_rc.get(name) != MISSING:
                return
            self.step_rc[name] = self.step(name, tool, args)
        elif words[0] == "ir_script" and len(words) >= 4:
            self.step_rc[words[1]] = self.step(words[1], words[2], None, script=words[3])
        else:
            self.command(words[0], words[1:])

    def step(self, name, tool, args, script=None):
        """A framed step: TOOL ARGS, or (ir_script) the first command of SCRIPT once TOOL is found."""
        self.stdout.append(f"\n##IR## step={name} tool={tool} start={_utc_now()}\n")
        if script is None:
            rc = self.command(tool, args)
        elif self._lacks(tool):
            self.stderr.append(self.host.not_found(tool))
            rc = MISSING
        else:
            first = []
            for word in _words(script):
                if word in _OPERATORS:
                    break
                first.append(word)
            rc = self.command(first[0], first[1:]) if first else 0
        self.stdout.append(f"##IR## end={name} rc={rc}\n")
        return rc

    def _lacks(self, tool):
        if self.host.fold(tool) in self.missing:
            return True
        return not self.host.has(tool) and tool.lower() not in _SILENT | _ECHO | _SHELLS | {"printf"}

    def command(self, tool, args):
        folded = tool.lower()
        if folded in _SILENT or tool.startswith("$"):
            return 0
        if folded in _ECHO:
            self.stdout.append(" ".join(args) + "\n")
            return 0
        if folded == "printf":
            self.stdout.append(_printf(args))
            return 0
        text = None if self.host.fold(tool) in self.missing else self.host.output(tool, args, self.context)
        if text is None:
            self.stderr.append(self.host.not_found(tool))
            return MISSING
        self.stdout.append(text)
        return 0


def _printf(args):
    """printf FORMAT ARGS with the %s and \\n its callers use; without a format, the words and a newline."""
    if not args or "%s" not in args[0]:
        return " ".join(args) + "\n"
    text = args[0].replace("\\n", "\n")
    for arg in args[1:]:
        text = text.replace("%s", arg, 1)
    return text.replace("%s", "")


def render_script(commands, host, context, min_stdout=0, missing=()):
    """The canned result of a script on a host; stdout padded with log-like filler to ``min_stdout`` characters.

    missing: tools this host lacks although its table has them (the lab:missing-tools tag).
    """
    run = _ScriptRun(host, context, missing)
    for line in script_lines(commands):
        run.line(line)
    stdout = "".join(run.stdout)
    if len(stdout) < min_stdout:
        stdout += host.filler(min_stdout - len(stdout), context)
    return ScriptResult(stdout, "".join(run.stderr), 0)
