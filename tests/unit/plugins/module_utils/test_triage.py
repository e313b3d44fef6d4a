import shutil
import subprocess

from ansible_collections.secops.aws_ir.plugins.module_utils import triage


def test_document_follows_the_ssm_platform_type():
    assert triage.document_for("Linux") == "AWS-RunShellScript"
    assert triage.document_for("MacOS") == "AWS-RunShellScript"
    assert triage.document_for("Windows") == "AWS-RunPowerShellScript"


def test_profiles_are_lists_of_lines_one_step_each():
    for document in (triage.LINUX_DOCUMENT, triage.WINDOWS_DOCUMENT):
        lines = triage.commands_for(document)
        assert all("\n" not in line for line in lines)
        assert all(line.split()[0] in ("ir_step", "ir_fallback") for line in lines[1:])


def test_linux_profile_follows_order_of_volatility_sockets_before_processes_before_disk():
    names = [line.split()[1] for line in triage.commands_for(triage.LINUX_DOCUMENT)[1:]]
    assert names.index("sockets") < names.index("processes") < names.index("mounts")


def test_parse_steps_locates_each_step_output_and_exit_code():
    output = (b"\n##IR## step=time tool=date start=2026-11-29T20:00:00Z\n2026-11-29T20:00:00.1Z\n##IR## end=time rc=0\n"
              b"\n##IR## step=sockets tool=netstat start=2026-11-29T20:00:01Z\n##IR## end=sockets rc=127\n"
              b"\n##IR## step=processes tool=ps start=2026-11-29T20:00:02Z\nPID CMD\n1 init\n")
    steps = triage.parse_steps(output)
    assert [(s["name"], s["tool"], s["rc"]) for s in steps] == [("time", "date", 0), ("sockets", "netstat", 127), ("processes", "ps", None)]
    assert output[steps[0]["offset"]:steps[0]["offset"] + steps[0]["length"]] == b"2026-11-29T20:00:00.1Z\n"
    assert steps[1]["length"] == 0


def test_linux_profile_runs_in_a_real_posix_shell_and_frames_every_step():
    # The script SSM runs is these lines joined by newlines; run it for real with sh.
    script = "\n".join(triage.commands_for(triage.LINUX_DOCUMENT))
    done = subprocess.run(["sh", "-c", script], capture_output=True, timeout=120, check=False)
    steps = triage.parse_steps(done.stdout)
    names = [s["name"] for s in steps]
    assert names[:3] == ["time", "uptime", "users"]
    assert all(s["rc"] is not None for s in steps)
    sockets = [s for s in steps if s["name"] == "sockets"]
    expected_tool = "ss" if shutil.which("ss") else "netstat"
    assert sockets[-1]["tool"] == expected_tool or sockets[0]["rc"] == 127
    if not shutil.which("lsof"):
        assert [s["rc"] for s in steps if s["name"] == "open_files"] == [127]
