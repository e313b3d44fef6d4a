"""How an invocation moves Pending -> InProgress -> terminal on the emulator's clock, and what it leaves."""
import threading
import time
from functools import partial

from lab.ssm.documents import SHELL_PLUGIN
from lab.ssm.hosts.linux import LINUX
from lab.ssm.hosts.windows import WINDOWS
from lab.ssm.local_exec import TIMED_OUT, run_locally, stop
from lab.ssm.model import NOT_STARTED, OUTCOMES, UNDELIVERED
from lab.ssm.output_s3 import upload_output
from lab.ssm.script import ScriptResult, host_context, render_script, script_lines

_HOSTS = {"Linux": LINUX, "Windows": WINDOWS}


def preempted_code(platform):
    """ResponseCode of a script the agent stopped (timeout or cancel): 137 on Linux, -1 on Windows."""
    return TIMED_OUT if platform == "Linux" else NOT_STARTED


def _cut_at_line(text, size):
    cut = text[:size]
    return cut[:cut.rfind("\n") + 1] if "\n" in cut else cut


def conclude(invocation, result, timed_out):
    """(Status, StatusDetails, final result) from what ran and the instance's lab:command-status."""
    outcome = invocation.outcome
    if outcome == "Success":
        outcome = "ExecutionTimedOut" if timed_out else ("Failed" if result.exit_code else "Success")
    status, details = OUTCOMES[outcome]
    if outcome == "Cancelled":
        return status, details, ScriptResult("", "", preempted_code(invocation.platform))
    if outcome == "ExecutionTimedOut":
        # A killed script leaves what it printed so far.
        stdout = result.stdout if timed_out else _cut_at_line(result.stdout, len(result.stdout) // 2)
        return status, details, ScriptResult(stdout, result.stderr, preempted_code(invocation.platform))
    if outcome == "Failed":
        code = result.exit_code or 1
        stderr = result.stderr + ("\n" if result.stderr and not result.stderr.endswith("\n") else "")
        return status, details, ScriptResult(result.stdout, stderr + f"failed to run commands: exit status {code}", code)
    return status, details, result


class Lifecycle:
    """Schedules and carries out each invocation's transitions; every state change happens under ``lock``."""

    def __init__(self, lock, config, scheduler):
        self.lock = lock
        self.config = config
        self.scheduler = scheduler
        self.endpoint_url = None  # the lab's own URL, set once it listens: what a script's AWS CLI talks to

    def launch(self, command):
        """Start the clock for a command that was just sent."""
        timings = self.config.ssm_timings()
        delivered_at = command.requested + timings["invocation_absent_seconds"] + timings["pending_seconds"]
        for invocation in command.invocations.values():
            self.scheduler.at(delivered_at, partial(self._deliver, invocation, timings["in_progress_seconds"]))

    def cancel(self, invocation, now):
        """CancelCommand for one invocation; False when it had already ended."""
        if invocation.terminal:
            return False
        code = NOT_STARTED if invocation.started is None else preempted_code(invocation.platform)
        invocation.finish("Cancelled", "Cancelled", code, now)
        stop(invocation.process)
        return True

    def _deliver(self, invocation, in_progress_seconds):
        with self.lock:
            if invocation.status != "Pending":
                return
            now = time.time()
            if invocation.outcome in UNDELIVERED:
                self.scheduler.at(now + in_progress_seconds, partial(self._give_up, invocation))
                return
            invocation.status = invocation.details = "InProgress"
            invocation.started = now
        if self._runs_locally(invocation):
            threading.Thread(target=self._run_locally, args=(invocation,), name="lab-ssm-exec", daemon=True).start()
        else:
            result = self._render(invocation)
            self.scheduler.at(invocation.started + in_progress_seconds, partial(self._complete, invocation, result, False))

    def _give_up(self, invocation):
        with self.lock:
            if invocation.status == "Pending":
                status, details = OUTCOMES[invocation.outcome]
                invocation.finish(status, details, NOT_STARTED, time.time())

    def _runs_locally(self, invocation):
        return self.config.execute_locally and invocation.platform == "Linux" and invocation.command.document.plugin == SHELL_PLUGIN

    @staticmethod
    def _render(invocation):
        node = invocation.node
        host = _HOSTS[node.platform]
        context = host_context(node.instance_id, node.ip, node.computer_name)
        return render_script(invocation.command.parameters.get("commands", []), host, context, invocation.stdout_bytes,
                             invocation.missing_tools)

    def _run_locally(self, invocation):
        def attach(process):
            with self.lock:
                invocation.process = process

        lines = script_lines(invocation.command.parameters.get("commands", []))
        result, timed_out = run_locally(lines, invocation.command.execution_timeout, attach, self.endpoint_url, invocation.command.region)
        self._complete(invocation, result, timed_out)

    def _complete(self, invocation, result, timed_out):
        status, details, result = conclude(invocation, result, timed_out)
        with self.lock:
            if invocation.status != "InProgress":
                return  # cancelled meanwhile
            invocation.stdout, invocation.stderr = result.stdout, result.stderr
        if status != "Cancelled":
            # The agent uploads the output before it reports the final status.
            upload_output(invocation)
        with self.lock:
            if invocation.status == "InProgress":
                invocation.finish(status, details, result.exit_code, time.time())
