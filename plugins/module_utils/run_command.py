# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""SSM Run Command: send once, find what was already sent, wait with our own loop.

The built-in waiter gives up after about 100 seconds and treats the moment after
SendCommand, when invocations do not exist yet, as an error; this loop treats a
missing invocation as pending, backs off, and never re-sends a command.
"""

import time

from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

# SendCommand takes at most 50 instance ids.
SEND_MAX = 50
COMMENT_MAX = 100
_PENDING = ("Pending", "InProgress", "Delayed", "Cancelling")
_FAILED_BEFORE = ("Failed", "Cancelled", "TimedOut")
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


def comment_for(ticket, purpose):
    """The command's Comment: "aws-ir <ticket> <purpose>" (SSM allows 100 characters)."""
    return f"aws-ir {ticket} {purpose}"[:COMMENT_MAX]


def find_previous(client, instance_ids, comment):
    """{instance_id: command_id} of commands already sent with this comment that did not fail.

    One ListCommands per instance; the newest matching command wins. A command
    that failed, was cancelled or timed out does not count, so a re-run retries it.
    """
    previous = {}
    for instance_id in instance_ids:
        commands = paginate(client, "list_commands", InstanceId=instance_id)["Commands"]
        matching = [c for c in commands if c.get("Comment") == comment and c.get("Status") not in _FAILED_BEFORE]
        if matching:
            previous[instance_id] = max(matching, key=lambda c: c["RequestedDateTime"])["CommandId"]
    return previous


def send(log, client, instance_ids, document, commands, comment, output, timeouts):
    """SendCommand in batches of 50; {instance_id: command_id} (planned ids in check mode).

    output: {"bucket", "prefix"} for OutputS3BucketName / OutputS3KeyPrefix.
    timeouts: {"delivery": seconds (TimeoutSeconds), "execution": seconds (executionTimeout)}.
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
            "OutputS3BucketName": output["bucket"],
            "OutputS3KeyPrefix": output["prefix"],
        }
        response = log.call(client, "ssm", "SendCommand", document, parameters, instance_ids=batch,
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


def wait_for(client, expected, wait_timeout, sleep=time.sleep, clock=time.monotonic):
    """Poll until every expected invocation is terminal or wait_timeout (seconds) runs out.

    expected: {instance_id: command_id}. One ListCommandInvocations (Details=true)
    per command per poll; the delay grows from 0.5 s to 5 s. Returns
    {instance_id: invocation or None}; None or a non-terminal invocation means
    the wait ran out (the command is left running, never re-sent).
    """
    deadline = clock() + wait_timeout
    delay = 0.5
    latest = {i: None for i in expected}
    while True:
        for command_id in sorted(set(expected.values())):
            for invocation in _invocations(client, command_id):
                if expected.get(invocation["InstanceId"]) == command_id:
                    latest[invocation["InstanceId"]] = invocation
        if all(is_terminal(v) for v in latest.values()) or clock() + delay > deadline:
            return latest
        sleep(delay)
        delay = min(delay * 1.5, 5.0)


def _invocations(client, command_id):
    return paginate(client, "list_command_invocations", CommandId=command_id, Details=True)["CommandInvocations"]
