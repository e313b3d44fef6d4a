"""The read side of Run Command: GetCommandInvocation, ListCommandInvocations, ListCommands."""
import datetime
import time

from lab.ssm.errors import SsmError
from lab.ssm.pages import max_results, page
from lab.ssm.views import command_view, get_invocation_view, invocation_view

_COMMAND_STATUSES = {"Pending", "InProgress", "Success", "Cancelled", "Failed", "TimedOut", "Cancelling"}
_INVOCATION_STATUSES = _COMMAND_STATUSES | {"Delayed"}


def _command(commands, command_id):
    command = commands.get(command_id)
    if command is None:
        raise SsmError("InvalidCommandId", "")
    return command


def _visible(invocation, now):
    """AWS may not know an invocation for a moment after SendCommand."""
    return now >= invocation.visible_at


def get_command_invocation(commands, params):
    now = time.time()
    command = _command(commands, params.get("CommandId"))
    invocation = command.invocations.get(params.get("InstanceId"))
    if invocation is None or not _visible(invocation, now):
        raise SsmError("InvocationDoesNotExist", "")
    plugin = params.get("PluginName")
    if plugin and plugin != command.document.step:
        raise SsmError("InvalidPluginName", "")
    return get_invocation_view(invocation)


def _timestamp(value):
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise SsmError("InvalidFilterValue", f"{value} is not an ISO 8601 date.") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def _filter_test(item, statuses):
    """A predicate over (command, status) for one CommandFilter."""
    key, value = item.get("key"), item.get("value", "")
    if key == "Status":
        if value not in statuses:
            raise SsmError("InvalidFilterValue", f"{value} is not a valid Status.")
        return lambda command, status: status == value
    if key == "DocumentName":
        return lambda command, status: command.document.name == value
    if key == "InvokedAfter":
        after = _timestamp(value)
        return lambda command, status: command.requested >= after
    if key == "InvokedBefore":
        before = _timestamp(value)
        return lambda command, status: command.requested <= before
    if key == "ExecutionStage":
        if value not in ("Executing", "Complete"):
            raise SsmError("InvalidFilterValue", f"{value} is not a valid ExecutionStage.")
        done = {"Success", "Cancelled", "Failed", "TimedOut"}
        return lambda command, status: (status in done) == (value == "Complete")
    raise SsmError("InvalidFilterKey", f"The filter key {key} isn't valid.")


def _filters(params, statuses):
    return [_filter_test(item, statuses) for item in params.get("Filters") or []]


def list_command_invocations(commands, params):
    now = time.time()
    tests = _filters(params, _INVOCATION_STATUSES)
    selected = [_command(commands, params["CommandId"])] if params.get("CommandId") else list(commands.values())
    instance_id = params.get("InstanceId")
    found = []
    for command in reversed(selected):
        for invocation in command.invocations.values():
            if instance_id and invocation.instance_id != instance_id:
                continue
            if _visible(invocation, now) and all(test(command, invocation.status) for test in tests):
                found.append(invocation_view(invocation, bool(params.get("Details"))))
    items, token = page(found, params, max_results(params, "maxResults", 50, 1, 50))
    return {"CommandInvocations": items, **({"NextToken": token} if token else {})}


def list_commands(commands, params):
    tests = _filters(params, _COMMAND_STATUSES)
    selected = [_command(commands, params["CommandId"])] if params.get("CommandId") else list(commands.values())
    instance_id = params.get("InstanceId")
    found = []
    for command in reversed(selected):  # newest first, as AWS lists them
        if instance_id and instance_id not in command.invocations:
            continue
        status = command.status()[0]
        if all(test(command, status) for test in tests):
            found.append(command_view(command))
    items, token = page(found, params, max_results(params, "maxResults", 50, 1, 50))
    return {"Commands": items, **({"NextToken": token} if token else {})}
