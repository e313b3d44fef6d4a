"""The API shapes of commands and invocations, with the output limits AWS applies."""
import datetime

from lab.ssm.output_s3 import output_url

STDOUT_LIMIT = 24000  # GetCommandInvocation StandardOutputContent
STDERR_LIMIT = 8000  # GetCommandInvocation StandardErrorContent
PLUGIN_OUTPUT_LIMIT = 2500  # ListCommandInvocations CommandPlugins[].Output, as the agent cuts it
_TRUNCATED_OUT = "\n---Output truncated---"
_TRUNCATED_ERR = "\n---Error truncated----"
_ERROR_TITLE = "\n----------ERROR-------\n"


def _iso(epoch):
    if epoch is None:
        return ""
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def plugin_output(stdout, stderr, capacity=PLUGIN_OUTPUT_LIMIT):
    """stdout and stderr in one text of at most ``capacity`` characters, the way the SSM Agent builds it."""
    title = _ERROR_TITLE if stderr else ""
    space = capacity - len(title)
    if len(stdout) + len(stderr) < space:
        return stdout + title + stderr
    if len(stdout) > space // 2 and len(stderr) > space // 2:
        half = (space - len(_TRUNCATED_ERR) - len(_TRUNCATED_OUT)) // 2
        return stdout[:half] + _TRUNCATED_OUT + title + stderr[:half] + _TRUNCATED_ERR
    if len(stdout) < space // 2:
        return stdout + title + stderr[:space - len(_TRUNCATED_ERR) - len(stdout)] + _TRUNCATED_ERR
    return stdout[:space - len(_TRUNCATED_OUT) - len(stderr)] + _TRUNCATED_OUT + title + stderr


def _urls(invocation):
    """(stdout URL, stderr URL): set once the invocation ran and output to S3 was requested."""
    command = invocation.command
    if not command.bucket or invocation.started is None or not invocation.terminal:
        return "", ""
    return (output_url(command, invocation.instance_id, "stdout"), output_url(command, invocation.instance_id, "stderr"))


def command_view(command):
    """The Command structure of SendCommand and ListCommands."""
    status, details = command.status()
    completed, errors, delivery = command.counts()
    return {
        "CommandId": command.command_id,
        "DocumentName": command.document.name,
        "DocumentVersion": command.document_version,
        "Comment": command.comment,
        "ExpiresAfter": command.requested + command.timeout_seconds + command.execution_timeout,
        "Parameters": command.parameters,
        "InstanceIds": list(command.invocations),
        "Targets": [],
        "RequestedDateTime": command.requested,
        "Status": status,
        "StatusDetails": details,
        "OutputS3Region": command.s3_region or "",
        "OutputS3BucketName": command.bucket or "",
        "OutputS3KeyPrefix": command.prefix,
        "MaxConcurrency": command.max_concurrency,
        "MaxErrors": command.max_errors,
        "TargetCount": len(command.invocations),
        "CompletedCount": completed,
        "ErrorCount": errors,
        "DeliveryTimedOutCount": delivery,
        "ServiceRole": "",
        "NotificationConfig": {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""},
        "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
        "TimeoutSeconds": command.timeout_seconds,
    }


def _plugin(invocation):
    command = invocation.command
    stdout_url, stderr_url = _urls(invocation)
    plugin = {
        "Name": command.document.step,
        "Status": invocation.status,
        "StatusDetails": invocation.details,
        "ResponseCode": invocation.response_code,
        "Output": plugin_output(invocation.stdout, invocation.stderr) if invocation.terminal else "",
        "StandardOutputUrl": stdout_url,
        "StandardErrorUrl": stderr_url,
        "OutputS3Region": command.s3_region or "",
        "OutputS3BucketName": command.bucket or "",
        "OutputS3KeyPrefix": command.prefix,
    }
    if invocation.started is not None:
        plugin["ResponseStartDateTime"] = invocation.started
    if invocation.ended is not None and invocation.started is not None:
        plugin["ResponseFinishDateTime"] = invocation.ended
    return plugin


def invocation_view(invocation, details):
    """A CommandInvocation of ListCommandInvocations; CommandPlugins only with Details."""
    command = invocation.command
    stdout_url, stderr_url = _urls(invocation)
    return {
        "CommandId": command.command_id,
        "InstanceId": invocation.instance_id,
        "InstanceName": invocation.node.computer_name,
        "Comment": command.comment,
        "DocumentName": command.document.name,
        "DocumentVersion": command.document_version,
        "RequestedDateTime": command.requested,
        "Status": invocation.status,
        "StatusDetails": invocation.details,
        "TraceOutput": "",
        "StandardOutputUrl": stdout_url,
        "StandardErrorUrl": stderr_url,
        "CommandPlugins": [_plugin(invocation)] if details else [],
        "ServiceRole": "",
        "NotificationConfig": {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""},
        "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
    }


def get_invocation_view(invocation):
    """The GetCommandInvocation answer."""
    command = invocation.command
    stdout_url, stderr_url = _urls(invocation)
    ran = invocation.started is not None
    elapsed = ""
    if ran and invocation.ended is not None:
        elapsed = f"PT{invocation.ended - invocation.started:.3f}S"
    return {
        "CommandId": command.command_id,
        "InstanceId": invocation.instance_id,
        "Comment": command.comment,
        "DocumentName": command.document.name,
        "DocumentVersion": command.document_version,
        "PluginName": command.document.step,
        "ResponseCode": invocation.response_code,
        "ExecutionStartDateTime": _iso(invocation.started),
        "ExecutionElapsedTime": elapsed,
        "ExecutionEndDateTime": _iso(invocation.ended if ran else None),
        "Status": invocation.status,
        "StatusDetails": invocation.details,
        "StandardOutputContent": invocation.stdout[:STDOUT_LIMIT] if invocation.terminal else "",
        "StandardOutputUrl": stdout_url,
        "StandardErrorContent": invocation.stderr[:STDERR_LIMIT] if invocation.terminal else "",
        "StandardErrorUrl": stderr_url,
        "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
    }
