"""Run the lab as a detached background process: start, stop, pid and log files."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from lab.control_client import HOST, healthy

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def state_dir():
    """Where pid and log files live: $AWS_IR_LAB_DIR, else .lab/ at the repository root."""
    return Path(os.environ.get("AWS_IR_LAB_DIR") or REPO_ROOT / ".lab")


def pid_file(port):
    return state_dir() / f"lab-{port}.pid"


def log_file(port):
    return state_dir() / f"lab-{port}.log"


def endpoint(port):
    return f"http://{HOST}:{port}"


def _alive(pid):
    """True for a live lab process (not a zombie, not a recycled pid running something else)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            command = cmdline.read().split(b"\0")
    except OSError:
        return False
    return state != "Z" and b"lab" in command and b"serve" in command


def _read_pid(port):
    try:
        return int(pid_file(port).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server binds: a port whose last connections are only in TIME_WAIT is free (a demo run just after another).
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _wait_ready(process, port):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if healthy(endpoint(port)):
            return True
        time.sleep(0.1)
    return False


def start(port, serve_args):
    """Start a detached lab on port; returns the CLI's exit code."""
    if healthy(endpoint(port)):
        pid = _read_pid(port)
        print(f"lab already running: {endpoint(port)} (pid {pid if pid and _alive(pid) else 'unknown'})")
        return 0
    if not _port_free(port):
        print(f"lab not started: port {port} on {HOST} is in use by another program", file=sys.stderr)
        return 1
    state_dir().mkdir(parents=True, exist_ok=True)
    with open(log_file(port), "ab") as log:
        process = subprocess.Popen(  # pylint: disable=consider-using-with  # it outlives this command on purpose
            [sys.executable, "-m", "lab", "serve", "--port", str(port), *serve_args],
            cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    pid_file(port).write_text(f"{process.pid}\n", encoding="utf-8")
    if not _wait_ready(process, port):
        _terminate(process.pid)
        pid_file(port).unlink(missing_ok=True)
        print(f"lab failed to start on port {port}; see {log_file(port)}", file=sys.stderr)
        return 1
    print(f"lab ready: {endpoint(port)} (pid {process.pid})")
    return 0


def _terminate(pid):
    """SIGTERM, then SIGKILL if the process is still there after STOP_TIMEOUT."""
    for sig, grace in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 2.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.05)


def stop(port):
    """Stop the lab started on port; returns the CLI's exit code (0 also when none was running)."""
    pid = _read_pid(port)
    if pid is None or not _alive(pid):
        pid_file(port).unlink(missing_ok=True)
        print(f"no lab running on port {port}")
        return 0
    _terminate(pid)
    pid_file(port).unlink(missing_ok=True)
    print("lab stopped")
    return 0
