"""lab.Lab: a lab server in a child process, for pytest fixtures and scripts."""
import os
import re
import selectors
import subprocess
import sys
import tempfile

from lab.control_client import control
from lab.process import REPO_ROOT, START_TIMEOUT, STOP_TIMEOUT

_READY = re.compile(r"^lab ready: (http://\S+) \(pid (\d+)\)")


class Lab:
    """A private lab on a free port (or the given one), in its own process so moto's state is its own.

    with Lab() as lab:
        boto3.client("ec2", endpoint_url=lab.endpoint_url, region_name="us-east-1")
    """

    def __init__(self, port=None, execute_locally=False, ssm=None):
        self.port = port or 0
        self.execute_locally = execute_locally
        self.ssm = dict(ssm or {})
        self.endpoint_url = None
        self.pid = None
        self._process = None
        self._log = None

    def _command(self):
        command = [sys.executable, "-m", "lab", "serve", "--port", str(self.port)]
        if self.execute_locally:
            command.append("--execute-locally")
        for key, seconds in self.ssm.items():
            command += ["--ssm-" + key.replace("_", "-"), str(seconds)]
        return command

    def start(self):
        """Start the server and wait for its 'lab ready' line (at most 30 s)."""
        self._log = tempfile.TemporaryFile()  # pylint: disable=consider-using-with  # kept until stop()
        self._process = subprocess.Popen(  # pylint: disable=consider-using-with  # kept until stop()
            self._command(), cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log,
            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        line = self._ready_line()
        match = _READY.match(line)
        if not match:
            self.stop()
            raise RuntimeError(f"lab did not start: {line!r}")
        self.endpoint_url, self.pid = match.group(1), int(match.group(2))
        self.port = int(self.endpoint_url.rsplit(":", 1)[1])
        return self

    def _ready_line(self):
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout=START_TIMEOUT):
                return ""
        return self._process.stdout.readline()

    def stop(self):
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process.stdout.close()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def server_log(self):
        """What the server wrote to its error output so far (str), such as the traceback of a crash inside moto."""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def reset(self):
        """Empty moto, the SSM emulator, the request log; configuration back to the start values."""
        return control(self.endpoint_url, "POST", "reset")

    def requests(self):
        return control(self.endpoint_url, "GET", "requests")

    def counts(self):
        return control(self.endpoint_url, "GET", "counts")

    def clear_requests(self):
        return control(self.endpoint_url, "POST", "requests/clear")

    def config(self):
        return control(self.endpoint_url, "GET", "config")

    def configure(self, **config):
        """Merge configuration, e.g. configure(throttle={"fraction": 1.0}) or configure(faults=[...])."""
        return control(self.endpoint_url, "POST", "config", config)

    def plant_guardduty_findings(self, findings):
        """Hold GuardDuty findings (wire JSON, under their detector) for GuardDuty GetFindings; returns their ids."""
        return control(self.endpoint_url, "POST", "guardduty/findings", {"findings": findings})["planted"]
