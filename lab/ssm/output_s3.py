"""Where the SSM Agent puts command output in S3, and writing it there."""
from lab import moto_state


def output_key(command, instance_id, stream):
    """PREFIX/COMMAND_ID/INSTANCE_ID/awsrunShellScript/0.awsrunShellScript/stdout, without a doubled slash."""
    parts = [command.prefix.rstrip("/")] if command.prefix.strip("/") else []
    parts += [command.command_id, instance_id, command.document.output_dir, stream]
    return "/".join(parts)


def output_url(command, instance_id, stream):
    """The https URL GetCommandInvocation reports for an output object (path style, Regional endpoint)."""
    region = command.s3_region or "us-east-1"
    return f"https://s3.{region}.amazonaws.com/{command.bucket}/{output_key(command, instance_id, stream)}"


def upload_output(invocation):
    """Upload stdout (and stderr when not empty) as the agent does; nothing when the bucket is missing."""
    command = invocation.command
    if not command.bucket or invocation.s3_denied:
        return
    streams = [("stdout", invocation.stdout)] + ([("stderr", invocation.stderr)] if invocation.stderr else [])
    for stream, text in streams:
        if not moto_state.s3_put(command.bucket, output_key(command, invocation.instance_id, stream), text.encode("utf-8")):
            return
