"""The SSM Run Command emulator: the SSM actions the lab answers itself instead of moto."""
import threading
import time

from lab import moto_state
from lab.ssm import listing
from lab.ssm.describe import describe_instance_information
from lab.ssm.errors import SsmError
from lab.ssm.lifecycle import Lifecycle
from lab.ssm.scheduler import Scheduler
from lab.ssm.send import build_command
from lab.ssm.views import command_view


class SsmEmulator:
    """Commands and invocations of one lab, behind one lock; moto's SSM keeps everything else (documents...)."""

    ACTIONS = ("DescribeInstanceInformation", "SendCommand", "GetCommandInvocation", "ListCommandInvocations",
               "ListCommands", "CancelCommand")

    def __init__(self, config):
        self.config = config
        self.lock = threading.RLock()
        self.commands = {}
        self.scheduler = Scheduler()
        self.lifecycle = Lifecycle(self.lock, config, self.scheduler)

    def handles(self, action):
        return action in self.ACTIONS

    def dispatch(self, call):
        """The JSON answer to an SSM call, or SsmError."""
        params = call.params if isinstance(call.params, dict) else {}
        account = moto_state.account_for(call.access_key)
        if call.action == "DescribeInstanceInformation":
            return describe_instance_information(params, account, call.region)
        if call.action == "SendCommand":
            return self._send(params, account, call.region)
        if call.action == "CancelCommand":
            return self._cancel(params)
        readers = {
            "GetCommandInvocation": listing.get_command_invocation,
            "ListCommandInvocations": listing.list_command_invocations,
            "ListCommands": listing.list_commands,
        }
        with self.lock:
            return readers[call.action](self.commands, params)

    def _send(self, params, account, region):
        command = build_command(params, account, region, self.config.ssm_timings()["invocation_absent_seconds"])
        with self.lock:
            self.commands[command.command_id] = command
            view = command_view(command)
        self.lifecycle.launch(command)
        return {"Command": view}

    def _cancel(self, params):
        with self.lock:
            command = self.commands.get(params.get("CommandId"))
            if command is None:
                raise SsmError("InvalidCommandId", "")
            wanted = params.get("InstanceIds") or list(command.invocations)
            unknown = [instance_id for instance_id in wanted if instance_id not in command.invocations]
            if unknown:
                raise SsmError("InvalidInstanceId", f"Instances {unknown} are not targets of command {command.command_id}")
            now = time.time()
            command.cancelled = True
            for instance_id in wanted:
                self.lifecycle.cancel(command.invocations[instance_id], now)
        return {}

    def reset(self):
        """Forget every command and stop whatever is still running."""
        self.scheduler.clear()
        with self.lock:
            for command in self.commands.values():
                for invocation in command.invocations.values():
                    self.lifecycle.cancel(invocation, time.time())
            self.commands.clear()

    def close(self):
        self.reset()
        self.scheduler.close()
