"""python -m lab start / stop / scene, as a person runs them."""
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _lab(*args, env=None):
    return subprocess.run([sys.executable, "-m", "lab", *args], cwd=REPO, capture_output=True, text=True, timeout=60, env=env, check=False)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def state_env(tmp_path):
    return {**os.environ, "AWS_IR_LAB_DIR": str(tmp_path)}


def test_start_and_stop(state_env, tmp_path):
    port = _free_port()
    started = _lab("start", "--port", str(port), env=state_env)
    try:
        assert started.returncode == 0, started.stderr
        match = re.fullmatch(rf"lab ready: http://127\.0\.0\.1:{port} \(pid (\d+)\)\n", started.stdout)
        assert match and (tmp_path / f"lab-{port}.pid").read_text().strip() == match.group(1)
        assert (tmp_path / f"lab-{port}.log").exists()
        again = _lab("start", "--port", str(port), env=state_env)
        assert again.returncode == 0 and again.stdout.startswith(f"lab already running: http://127.0.0.1:{port}")
    finally:
        stopped = _lab("stop", "--port", str(port), env=state_env)
    assert (stopped.returncode, stopped.stdout) == (0, "lab stopped\n")
    assert not (tmp_path / f"lab-{port}.pid").exists()
    assert _lab("stop", "--port", str(port), env=state_env).stdout == f"no lab running on port {port}\n"


def test_start_on_a_busy_port_fails(state_env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = _lab("start", "--port", str(busy.getsockname()[1]), env=state_env)
    assert result.returncode == 1 and "in use" in result.stderr


def test_a_port_whose_last_connection_is_in_time_wait_is_free_to_start_on(state_env):
    # A demo run straight after another: the lab's port keeps the closed connections in TIME_WAIT for a minute, and
    # the server binds with SO_REUSEADDR (werkzeug), so the lab starts there; only a socket still listening makes it busy.
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the lab's server (werkzeug) listens
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        served, _address = listener.accept()
        served.close()  # the side that closes first keeps TIME_WAIT on the lab's port
        client.close()
    started = _lab("start", "--port", str(port), env=state_env)
    try:
        assert started.returncode == 0, started.stderr
    finally:
        _lab("stop", "--port", str(port), env=state_env)


def test_scene_command(lab):
    result = _lab("scene", "--endpoint-url", lab.endpoint_url, "--ticket", "INC-777")
    assert result.returncode == 0, result.stderr
    scene = json.loads(result.stdout)
    assert scene["ticket"] == "INC-777" and len(scene["instance_ids"]) == 2 and scene["asg_name"] == "web-asg"


def test_a_second_scene_in_one_lab_is_refused_saying_what_to_do(lab):
    lab.reset()
    assert _lab("scene", "--endpoint-url", lab.endpoint_url).returncode == 0
    again = _lab("scene", "--endpoint-url", lab.endpoint_url)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert "this lab already holds a scene" in again.stderr and "make lab-stop, make lab-start" in again.stderr
