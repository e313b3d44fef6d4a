import hashlib
import shutil
import subprocess

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture import triage
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_documents import LINUX_DOCUMENT
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_documents import WINDOWS_DOCUMENT
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_documents import document_for


def run_sh(lines):
    """The lines as SSM runs AWS-RunShellScript: joined by newlines, run by sh."""
    return subprocess.run(["sh", "-c", "\n".join(lines)], capture_output=True, timeout=120, check=False)


def test_document_follows_the_ssm_platform_type():
    assert document_for("Linux") == "AWS-RunShellScript"
    assert document_for("MacOS") == "AWS-RunShellScript"
    assert document_for("Windows") == "AWS-RunPowerShellScript"


def test_profiles_are_lists_of_lines_one_step_each():
    for document in (LINUX_DOCUMENT, WINDOWS_DOCUMENT):
        lines = triage.commands_for(document, "INC-1")
        assert all("\n" not in line for line in lines)
        steps = [line for line in lines if line.split()[0] in ("ir_step", "ir_fallback")]
        assert len(steps) >= 12


def test_linux_profile_follows_order_of_volatility_sockets_before_processes_before_disk():
    names = [line.split()[1] for line in triage.commands_for(LINUX_DOCUMENT, "INC-1") if line.startswith("ir_") and "()" not in line]
    assert names.index("sockets") < names.index("processes") < names.index("mounts") < names.index("cron_root")


def test_parse_steps_locates_each_step_output_exit_code_and_hash():
    output = (b"\n##IR## step=time tool=date start=2026-11-29T20:00:00Z\n2026-11-29T20:00:00.1Z\n##IR## end=time rc=0\n"
              b"\n##IR## step=sockets tool=netstat start=2026-11-29T20:00:01Z\n##IR## end=sockets rc=127\n"
              b"\n##IR## step=processes tool=ps start=2026-11-29T20:00:02Z\nPID CMD\n1 init\n")
    steps = triage.parse_steps(output, {("time", "date"): "date -u"})
    assert [(s["name"], s["tool"], s["rc"]) for s in steps] == [("time", "date", 0), ("sockets", "netstat", 127), ("processes", "ps", None)]
    assert output[steps[0]["offset"]:steps[0]["offset"] + steps[0]["length"]] == b"2026-11-29T20:00:00.1Z\n"
    assert steps[0]["sha256"] == hashlib.sha256(b"2026-11-29T20:00:00.1Z\n").hexdigest()
    assert (steps[0]["command"], steps[1]["command"]) == ("date -u", None)
    assert steps[1]["length"] == 0 and steps[1]["sha256"] == hashlib.sha256(b"").hexdigest()
    # A step cut off by a timeout runs to the end of the data.
    assert output[steps[2]["offset"]:] == b"PID CMD\n1 init\n" and steps[2]["length"] == len(b"PID CMD\n1 init\n")


def test_linux_profile_runs_in_a_real_posix_shell_and_frames_every_step():
    lines = triage.commands_for(LINUX_DOCUMENT, "INC 1 =+@:/")
    done = run_sh(lines)
    assert done.stdout.startswith(b"##IR## ticket=INC 1 =+@:/ profile=standard\n")
    steps = triage.parse_steps(done.stdout, triage.step_commands(LINUX_DOCUMENT))
    names = [s["name"] for s in steps]
    assert names[:3] == ["time", "uptime", "users"]
    assert all(s["rc"] is not None for s in steps)
    assert steps[0]["command"] == "date -u +%Y-%m-%dT%H:%M:%S.%NZ"
    sockets = [s for s in steps if s["name"] == "sockets"]
    expected_tool = "ss" if shutil.which("ss") else "netstat"
    assert sockets[-1]["tool"] == expected_tool or sockets[0]["rc"] == 127
    if not shutil.which("lsof"):
        assert [s["rc"] for s in steps if s["name"] == "open_files"] == [127]


def test_custom_commands_run_exactly_as_written_one_step_each(tmp_path):
    sentinel = tmp_path / "ran"
    commands = [
        "echo 'a;b' | tr ';' ,",
        f"printf '%s\\n' \"$(echo nested)\" '{sentinel}'",
        "no-such-tool --version",
        "for x in 1 2; do echo loop$x; done",
    ]
    lines = triage.commands_for(LINUX_DOCUMENT, "INC-1", triage.CUSTOM, commands)
    done = run_sh(lines)
    steps = triage.parse_steps(done.stdout, triage.step_commands(LINUX_DOCUMENT, triage.CUSTOM, commands))
    output = [done.stdout[s["offset"]:s["offset"] + s["length"]] for s in steps]
    assert [s["name"] for s in steps] == ["custom_1", "custom_2", "custom_3", "custom_4"]
    assert [s["tool"] for s in steps] == ["echo", "printf", "no-such-tool", "sh"]
    assert [s["rc"] for s in steps] == [0, 0, 127, 0]
    assert output[0] == b"a,b\n" and output[1] == f"nested\n{sentinel}\n".encode() and output[3] == b"loop1\nloop2\n"
    assert [s["command"] for s in steps] == commands
    assert not sentinel.exists()


def test_windows_custom_commands_are_single_quoted_script_blocks():
    lines = triage.commands_for(WINDOWS_DOCUMENT, "INC-1", triage.CUSTOM, ["Get-Process | Where-Object { $_.Name -eq 'x' }"])
    assert lines[-1] == "ir_step custom_1 'Get-Process' ([scriptblock]::Create('Get-Process | Where-Object { $_.Name -eq ''x'' }'))"
    assert lines[-2] == "Write-Output '##IR## ticket=INC-1 profile=custom'"


def test_an_empty_custom_command_is_refused_naming_it():
    with pytest.raises(triage.ProfileError, match="custom_commands item 2"):
        triage.commands_for(LINUX_DOCUMENT, "INC-1", triage.CUSTOM, ["uptime", "  "])


def test_custom_commands_are_refused_unless_the_profile_is_custom():
    commands = {"linux": ["id"], "windows": None}
    with pytest.raises(triage.ProfileError, match=r"^custom_commands are only run with triage_profile=custom \(triage_profile is standard\)$"):
        triage.validate_profile("standard", commands)
    with pytest.raises(triage.ProfileError, match="triage_profile is custom but custom_commands has no command"):
        triage.validate_profile("custom", {"linux": [], "windows": None})
    triage.validate_profile("custom", commands)
    triage.validate_profile("standard", None)
