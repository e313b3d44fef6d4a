"""Run Command state: commands, their per-instance invocations, and how statuses add up."""
from dataclasses import dataclass, field

from lab.ssm.documents import DocumentSpec
from lab.ssm.nodes import Node

TERMINAL = {"Success", "Failed", "Cancelled", "TimedOut"}
# lab:command-status value -> (Status, StatusDetails) the invocation ends with.
OUTCOMES = {
    "Success": ("Success", "Success"),
    "Failed": ("Failed", "Failed"),
    "Cancelled": ("Cancelled", "Cancelled"),
    "DeliveryTimedOut": ("TimedOut", "DeliveryTimedOut"),
    "ExecutionTimedOut": ("TimedOut", "ExecutionTimedOut"),
    "Undeliverable": ("Failed", "Undeliverable"),
    "Terminated": ("Cancelled", "Terminated"),
}
# Outcomes in which the agent never receives the command.
UNDELIVERED = {"DeliveryTimedOut", "Undeliverable", "Terminated"}
NOT_STARTED = -1  # ResponseCode of an invocation that never ran (AWS documents -1)


@dataclass
class Invocation:
    """One command on one instance."""

    command: "Command"
    node: Node  # as it was when the command was sent
    outcome: str
    s3_denied: bool
    stdout_bytes: int
    visible_at: float
    missing_tools: tuple = ()
    status: str = "Pending"
    details: str = "Pending"
    response_code: int = NOT_STARTED
    started: float | None = None
    ended: float | None = None
    stdout: str = ""
    stderr: str = ""
    process: object = None  # the local process under --execute-locally, so CancelCommand can stop it

    @property
    def instance_id(self):
        return self.node.instance_id

    @property
    def platform(self):
        return self.node.platform

    @property
    def terminal(self):
        return self.status in TERMINAL

    def finish(self, status, details, response_code, now):
        self.status, self.details, self.response_code, self.ended = status, details, response_code, now


@dataclass
class Command:
    """A SendCommand request and its invocations (by instance id, in request order)."""

    command_id: str
    document: DocumentSpec
    document_version: str
    comment: str
    parameters: dict
    bucket: str | None
    prefix: str
    s3_region: str | None
    region: str
    timeout_seconds: int
    execution_timeout: int
    max_concurrency: str
    max_errors: str
    requested: float
    invocations: dict = field(default_factory=dict)
    cancelled: bool = False

    def counts(self):
        """(completed, errors, delivery timeouts) as AWS counts them."""
        invocations = self.invocations.values()
        completed = sum(1 for item in invocations if item.terminal)
        errors = sum(1 for item in invocations if item.details in ("Failed", "ExecutionTimedOut"))
        delivery = sum(1 for item in invocations if item.details == "DeliveryTimedOut")
        return completed, errors, delivery

    def status(self):
        """(Status, StatusDetails) of the whole command, from its invocations."""
        invocations = list(self.invocations.values())
        if all(item.status == "Pending" for item in invocations):
            return "Pending", "Pending"
        if not all(item.terminal for item in invocations):
            return "InProgress", "InProgress"
        return self._final_status(invocations)

    def _final_status(self, invocations):
        details = [item.details for item in invocations]
        if all(detail == "Success" for detail in details):
            return "Success", "Success"
        if self.cancelled and "Cancelled" in details:
            return "Cancelled", "Cancelled"
        limit = _error_limit(self.max_errors, len(invocations))
        failed, timed_out = details.count("Failed"), details.count("ExecutionTimedOut")
        if failed + timed_out > limit:
            return ("Failed", "Failed") if failed >= timed_out else ("TimedOut", "ExecutionTimedOut")
        if details.count("DeliveryTimedOut") > limit:
            return "TimedOut", "DeliveryTimedOut"
        if "Cancelled" in details or "Terminated" in details:
            return "Cancelled", "Cancelled"
        # Attempted everywhere, some not successful, too few errors to be Failed.
        return "Failed", "Incomplete"


def _error_limit(max_errors, targets):
    if max_errors.endswith("%"):
        return int(targets * int(max_errors[:-1]) / 100)
    return int(max_errors)
