# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""SSM Run Command: send once, find what was already sent, wait with our own loop.

The built-in waiter gives up after about 100 seconds and treats the moment after
SendCommand, when invocations do not exist yet, as an error; this loop treats a
missing invocation as pending, backs off, and never re-sends a command.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.concurrency import map_concurrently
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import poll

# SendCommand takes at most 50 instance ids.
SEND_MAX = 50
COMMENT_MAX = 100
_PENDING = ("Pending", "InProgress", "Delayed", "Cancelling")
# Outcome per invocation, from StatusDetails first (it tells timeouts and undeliverable apart), else Status.
_OUTCOMES = {
    "Success": "success",
    "Failed": "failed",
    "Cancelled": "cancelled",
    "DeliveryTimedOut": "delivery_timed_out",
    "ExecutionTimedOut": "execution_timed_out",
    "TimedOut": "timed_out",
    "Undeliverable": "undeliverable",
    "Terminated": "terminated",
    "InvalidPlatform": "invalid_platform",
    "AccessDenied": "access_denied",
}
# What a responder should check, per outcome (the SSM User Guide, "Understanding command statuses").
LIKELY_CAUSE = {
    "failed": "the script ended with a non-zero exit code; its stderr object in S3 says why",
    "cancelled": "someone cancelled the command (CancelCommand) before it ended",
    "delivery_timed_out": "the SSM Agent did not pick the command up within timeout_seconds: the agent stopped, "
                          "or the instance lost its route to the SSM endpoints after the preflight",
    "execution_timed_out": "the script ran longer than its executionTimeout and the agent stopped it "
                           "(ResponseCode 137 on Linux, -1 on Windows); what it printed before is in S3",
    "timed_out": "the command timed out",
    "undeliverable": "SSM could not deliver the command: the instance stopped, was terminated, or its agent is gone",
    "terminated": "SSM cancelled this invocation because the command exceeded its MaxErrors on other instances",
    "invalid_platform": "the document does not run on this instance's platform",
    "access_denied": "the caller may not run this document on this instance (IAM)",
}
# Invocations that ended like this are collected again on a re-run; any other is reused.
_RETRY_ON_RERUN = {"Failed", "Cancelled", "TimedOut", "Cancelling"}


def comment_for(ticket, purpose):
    """The command's Comment: "aws-ir <ticket> <purpose>" (SSM allows 100 characters)."""
    return f"aws-ir {ticket} {purpose}"[:COMMENT_MAX]


def find_previous(client, instance_ids, comment):
    """{instance_id: command_id} of invocations already sent with this comment that did not fail.

    One ListCommandInvocations per instance, the instances concurrently (an
    invocation's own status counts, not its command's: one failed instance does
    not make the others collect again); the newest matching invocation wins. A
    failed, cancelled or timed-out invocation does not count, so a re-run retries it.
    """
    def newest(instance_id):
        invocations = paginate(client, "list_command_invocations", InstanceId=instance_id)["CommandInvocations"]
        matching = [i for i in invocations if i.get("Comment") == comment and i.get("Status") not in _RETRY_ON_RERUN]
        return max(matching, key=lambda i: i["RequestedDateTime"])["CommandId"] if matching else None
    found = zip(instance_ids, map_concurrently(newest, instance_ids))
    return {instance_id: command_id for instance_id, command_id in found if command_id is not None}


def send(log, client, instance_ids, document, commands, comment, output, timeouts, recorded_commands=None):
    """SendCommand in batches of 50; {instance_id: command_id} (planned ids in check mode).

    output: {"bucket", "prefix"} for OutputS3BucketName / OutputS3KeyPrefix.
    timeouts: {"delivery": seconds (TimeoutSeconds), "execution": seconds (executionTimeout)}.
    recorded_commands: what the action record shows instead of commands (a long
    program named by its hash), or None for the commands themselves.
    MaxErrors is 100%: one instance that fails never stops the command on the others.
    """
    sent = {}
    for start in range(0, len(instance_ids), SEND_MAX):
        batch = list(instance_ids[start:start + SEND_MAX])
        parameters = {
            "InstanceIds": batch,
            "DocumentName": document,
            "Comment": comment,
            "Parameters": {"commands": list(commands), "executionTimeout": [str(timeouts["execution"])]},
            "TimeoutSeconds": timeouts["delivery"],
            "MaxConcurrency": str(SEND_MAX),
            "MaxErrors": "100%",
            "OutputS3BucketName": output["bucket"],
            "OutputS3KeyPrefix": output["prefix"],
        }
        recorded = None
        if recorded_commands is not None:
            recorded = dict(parameters, Parameters=dict(parameters["Parameters"], commands=list(recorded_commands)))
        response = log.call(client, "ssm", "SendCommand", document, parameters, instance_ids=batch, recorded=recorded,
                            after_from=lambda r: {"command_id": r["Command"]["CommandId"]})
        command_id = response["Command"]["CommandId"] if response else "(planned)"
        sent.update({i: command_id for i in batch})
    return sent


def is_terminal(invocation):
    return invocation is not None and invocation.get("Status") not in _PENDING


def outcome_of(invocation):
    """"success", "failed", "delivery_timed_out", "execution_timed_out", "undeliverable", ... for a terminal invocation."""
    details = invocation.get("StatusDetails")
    return _OUTCOMES.get(details) or _OUTCOMES.get(invocation.get("Status"), str(invocation.get("Status")).lower())


def response_code(invocation):
    """The script's exit code: GetCommandInvocation's ResponseCode, or (ListCommandInvocations) its plugin's."""
    if "ResponseCode" in invocation:
        return invocation["ResponseCode"]
    plugins = invocation.get("CommandPlugins") or [{}]
    return plugins[0].get("ResponseCode")


def describe_end(invocation):
    """A responder's sentence for how an invocation ended: the likely cause, ResponseCode and StatusDetails."""
    status = outcome_of(invocation)
    cause = LIKELY_CAUSE.get(status, f"the command ended {invocation.get('Status')}")
    return f"{cause} (ResponseCode {response_code(invocation)}, Status {invocation.get('Status')}, StatusDetails {invocation.get('StatusDetails')})"


def wait_for(client, expected, wait_timeout, sleep=None, clock=None):
    """Poll until every expected invocation is terminal or wait_timeout (seconds) runs out.

    expected: {instance_id: command_id}. One ListCommandInvocations (Details=true)
    per command per poll, cheaper than a waiter per instance; the delay grows from
    0.5 s to 5 s. Returns {instance_id: invocation or None}; None or a non-terminal
    invocation means the wait ran out (the command is left running, never re-sent).
    """
    latest = {i: None for i in expected}

    def read():
        for command_id in sorted(set(expected.values())):
            for invocation in _invocations(client, command_id):
                if expected.get(invocation["InstanceId"]) == command_id:
                    latest[invocation["InstanceId"]] = invocation
        return latest

    poll(read, lambda found: all(is_terminal(v) for v in found.values()), wait_timeout, 0.5, backoff=1.5, max_delay=5.0, sleep=sleep, clock=clock)
    return latest


def _invocations(client, command_id):
    return paginate(client, "list_command_invocations", CommandId=command_id, Details=True)["CommandInvocations"]
