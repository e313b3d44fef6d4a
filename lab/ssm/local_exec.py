"""--execute-locally: run a Run Command shell script for real, on the lab's own machine.

Only for tests that need real effects (a script that PUTs to S3 through presigned URLs, say).
The script runs as the lab's user, in a fresh temporary directory, under /bin/sh, with the
environment an EC2 instance gives its programs: the instance role's credentials (the lab's own
dummy ones, never the caller's) and the Regional endpoints (the lab itself).
"""
import os
import signal
import subprocess
import sys
import tempfile

from lab.ssm.script import ScriptResult

TIMED_OUT = 137  # the agent's exit code when it kills a script at its executionTimeout (128 + SIGKILL)
# What the instance profile's credentials look like to a program on the instance (IMDS), here as plain dummies.
INSTANCE_ROLE = {"AWS_ACCESS_KEY_ID": "lab-instance-role-key", "AWS_SECRET_ACCESS_KEY": "lab-instance-role-secret",
                 "AWS_SESSION_TOKEN": "lab-instance-role-session-token"}


def instance_environment(endpoint_url, region, workdir):
    """The script's environment: instance-role credentials, the lab as every endpoint, the lab's python and aws first on PATH."""
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "/usr/bin:/bin")])
    return {"PATH": path, "HOME": workdir, "LANG": "C.UTF-8", "AWS_ENDPOINT_URL": endpoint_url or "", "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region, "AWS_EC2_METADATA_DISABLED": "true", **INSTANCE_ROLE}


def _kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stop(process):
    """Stop a script started by run_locally (CancelCommand)."""
    if process is not None and process.poll() is None:
        _kill_group(process)


def run_locally(lines, timeout, on_start, endpoint_url=None, region="us-east-1"):
    """Run the lines joined by newlines; returns (ScriptResult, timed_out). ``on_start`` receives the process."""
    with tempfile.TemporaryDirectory(prefix="lab-ssm-") as workdir:
        path = os.path.join(workdir, "_script.sh")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        with subprocess.Popen(["/bin/sh", path], cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, start_new_session=True,
                              env=instance_environment(endpoint_url, region, workdir)) as process:
            on_start(process)
            timed_out = False
            try:
                stdout, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(process)
                stdout, stderr = process.communicate()
    code = TIMED_OUT if timed_out else process.returncode
    return ScriptResult(stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"), code), timed_out
