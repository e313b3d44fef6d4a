#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ssm_volatile_capture
version_added: 1.0.0
short_description: Collect volatile data from live instances through SSM Run Command into S3
description:
  - Collects what disappears first (RFC 3227 order of volatility) from running instances,
    through SSM Run Command, without opening any inbound port.
  - B(Preflight.) C(DescribeInstanceInformation) for every instance. Only C(PingStatus=Online)
    instances get a command; C(ConnectionLost), C(Inactive) and unmanaged instances are
    reported with the likely cause and do not fail the module, so the rest of the response
    (snapshots) goes on.
  - B(Triage.) The document is chosen from the SSM C(PlatformType) (C(AWS-RunShellScript) for
    Linux, C(AWS-RunPowerShellScript) for Windows). The triage profile collects time, uptime,
    logged-in users, sockets (C(ss), else C(netstat)), neighbour table, routes, interfaces,
    processes with full command lines, open files, memory information, kernel modules, mounts,
    recent logins and scheduled jobs; each step's tool, exit code and output are kept apart.
    The command's C(Comment) is C(aws-ir <ticket> triage). Output goes to
    C(s3://<bucket>/<key_prefix>/<CommandId>/<InstanceId>/...) with the SSM Agent's key layout.
  - B(Waiting.) Its own poll loop (C(ListCommandInvocations)) with backoff, not the built-in
    waiter; a wait that runs out reports C(still_running) and never re-sends the command.
  - B(Evidence, not status.) After a terminal status the S3 objects are read back; size and
    SHA-256 come from the bytes in S3, never from the API's C(StandardOutputContent). A
    C(Success) without its S3 object is C(evidence_upload_failed).
  - Idempotent. A command already sent for this ticket (same comment) that did not fail is
    reused, never sent again. Check mode sends nothing and lists the planned commands.
author:
  - secops.aws_ir developers (@secops)
options:
  bucket:
    description: The evidence bucket (C(OutputS3BucketName)).
    type: str
    required: true
  key_prefix:
    description:
      - C(OutputS3KeyPrefix). Defaults to C(<ticket>/volatile).
    type: str
  timeout_seconds:
    description:
      - Delivery timeout in seconds (C(TimeoutSeconds) of C(SendCommand)); an instance that
        does not start the command in time ends C(delivery_timed_out).
    type: int
    default: 600
  execution_timeout:
    description:
      - Execution timeout in seconds (the document's C(executionTimeout) parameter); a command
        that runs longer ends C(execution_timed_out).
    type: int
    default: 900
  wait:
    description: Whether to wait for the commands to end and verify their output in S3.
    type: bool
    default: true
  wait_timeout:
    description: How long to wait, in seconds.
    type: int
    default: 1200
extends_documentation_fragment:
  - secops.aws_ir.targets
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Collect volatile data for INC-123456
  secops.aws_ir.ssm_volatile_capture:
    instance_ids:
      - i-0123456789abcdef0
    ticket: INC-123456
    bucket: aws-ir-evidence-123456789012-us-east-1
  register: capture
"""

RETURN = r"""
instances:
  description: One entry per instance, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: Instance id.
      type: str
    outcome:
      description:
        - C(status) is one of C(captured), C(evidence_upload_failed), C(failed),
          C(delivery_timed_out), C(execution_timed_out), C(undeliverable), C(terminated),
          C(cancelled), C(still_running), C(planned), C(connection_lost), C(inactive), C(unmanaged).
        - Also C(command_id), C(document_name), C(ping_status) and C(detail) (likely cause or exit code).
      type: dict
    artifacts:
      description:
        - The S3 objects read back, each with C(kind) (C(triage_stdout) or C(triage_stderr)),
          C(bucket), C(key), C(s3_uri), C(version_id), C(size_bytes), C(sha256) (hex, of the bytes in
          S3), C(command_id), C(document_name), C(truncated_in_api) (the object is longer than the
          24,000 characters C(GetCommandInvocation) returns) and, for stdout, C(steps) (C(name),
          C(tool), C(started_at), C(rc), C(offset), C(length) in bytes).
      type: list
      elements: dict
    warnings:
      description: What a responder must know about this instance.
      type: list
      elements: str
actions:
  description: Every C(SendCommand) made or planned, as in M(secops.aws_ir.ec2_quarantine).
  returned: always
  type: list
  elements: dict
stage:
  description: The workflow stage, C(volatile_capture).
  returned: always
  type: str
"""

from ansible_collections.secops.aws_ir.plugins.module_utils import run_command
from ansible_collections.secops.aws_ir.plugins.module_utils.artifacts import read_artifact
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_VOLATILE
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence_bucket import validate_bucket_name
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import validate_instance_ids
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.ssm_reachability import describe_reachability
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket
from ansible_collections.secops.aws_ir.plugins.module_utils.triage import OUTPUT_PLUGIN_PATHS
from ansible_collections.secops.aws_ir.plugins.module_utils.triage import commands_for
from ansible_collections.secops.aws_ir.plugins.module_utils.triage import document_for
from ansible_collections.secops.aws_ir.plugins.module_utils.triage import parse_steps

# GetCommandInvocation returns at most this many characters of standard output.
API_STDOUT_LIMIT = 24000
_UNREACHABLE = {"ConnectionLost": "connection_lost", "Inactive": "inactive", "unmanaged": "unmanaged"}


def output_key(prefix, command_id, instance_id, document, stream):
    """The key the SSM Agent writes a stream (stdout or stderr) to."""
    head = f"{prefix.rstrip('/')}/" if prefix else ""
    return f"{head}{command_id}/{instance_id}/{OUTPUT_PLUGIN_PATHS[document]}/{stream}"


def unreachable_outcome(reach):
    return {"status": _UNREACHABLE.get(reach["ping_status"], "unreachable"), "ping_status": reach["ping_status"],
            "detail": reach["likely_cause"]}


def send_missing(module, client, targets, comment, output):
    """{instance_id: command_id}: commands found from an earlier run, and new ones sent for the rest."""
    commands = run_command.find_previous(client, list(targets), comment)
    by_document = {}
    for instance_id, document in targets.items():
        if instance_id not in commands:
            by_document.setdefault(document, []).append(instance_id)
    timeouts = {"delivery": module.params["timeout_seconds"], "execution": module.params["execution_timeout"]}
    for document, instance_ids in sorted(by_document.items()):
        commands.update(run_command.send(module.actions, client, instance_ids, document, commands_for(document), comment, output, timeouts))
    return commands


def collect_artifacts(client, output, command_id, instance_id, document):
    """The stdout and stderr objects of one invocation, read back from S3 (list)."""
    artifacts = []
    for stream in ("stdout", "stderr"):
        found = read_artifact(client, output["bucket"], output_key(output["prefix"], command_id, instance_id, document, stream),
                              keep_bytes=1 << 24 if stream == "stdout" else 0)
        if found is None:
            continue
        head = found.pop("head")
        found.update(kind=f"triage_{stream}", command_id=command_id, document_name=document,
                     truncated_in_api=stream == "stdout" and len(head.decode("utf-8", "replace")) > API_STDOUT_LIMIT)
        if stream == "stdout":
            found["steps"] = parse_steps(head)
        artifacts.append(found)
    return artifacts


def settle(invocation, artifacts, command_id, document):
    """The capture outcome of one instance from its invocation and what S3 holds."""
    outcome = {"command_id": command_id, "document_name": document, "ping_status": "Online"}
    if not run_command.is_terminal(invocation):
        return dict(outcome, status="still_running", detail="wait_timeout ran out; the command was left running, not re-sent")
    status = run_command.outcome_of(invocation)
    has_stdout = any(a["kind"] == "triage_stdout" for a in artifacts)
    if status == "success" and not has_stdout:
        return dict(outcome, status="evidence_upload_failed",
                    detail="the command succeeded but its output is not in S3: the instance role likely lacks s3:PutObject (or KMS access) on the bucket")
    if status == "success":
        return dict(outcome, status="captured", detail=None)
    return dict(outcome, status=status, detail=f"ResponseCode {invocation.get('ResponseCode')}, StatusDetails {invocation.get('StatusDetails')}")


def do(module):
    params = module.params
    ids = validate_instance_ids(params["instance_ids"])
    ticket = validate_ticket(params["ticket"], pattern=r".+")
    output = {"bucket": validate_bucket_name(params["bucket"]), "prefix": params["key_prefix"] or f"{ticket}/volatile"}
    ssm, s3 = module.client("ssm"), module.client("s3")

    reach = describe_reachability(ssm, ids)
    results = {i: {"instance_id": i, "outcome": unreachable_outcome(reach[i]), "artifacts": [], "warnings": []}
               for i in ids if not reach[i]["reachable"]}
    targets = {i: document_for(reach[i]["platform_type"]) for i in ids if reach[i]["reachable"]}
    commands = send_missing(module, ssm, targets, run_command.comment_for(ticket, "triage"), output)

    if module.check_mode or not params["wait"]:
        status = "planned" if module.check_mode else "sent"
        for i, document in targets.items():
            results[i] = {"instance_id": i, "artifacts": [], "warnings": [],
                          "outcome": {"status": status, "command_id": commands[i], "document_name": document, "ping_status": "Online"}}
    else:
        invocations = run_command.wait_for(ssm, commands, params["wait_timeout"])
        for i, document in targets.items():
            artifacts = collect_artifacts(s3, output, commands[i], i, document)
            results[i] = {"instance_id": i, "artifacts": artifacts, "warnings": [],
                          "outcome": settle(invocations[i], artifacts, commands[i], document)}

    ordered = [results[i] for i in ids]
    for result in ordered:
        if result["outcome"]["status"] not in ("captured", "planned", "sent"):
            result["warnings"].append(f"{result['instance_id']}: volatile capture {result['outcome']['status']}: {result['outcome'].get('detail')}")
            module.warn(result["warnings"][-1])
    module.exit_json(changed=bool(module.actions.records), instances=ordered)


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str", required=True),
        ticket=dict(type="str", required=True),
        bucket=dict(type="str", required=True),
        key_prefix=dict(type="str", no_log=False),
        timeout_seconds=dict(type="int", default=600),
        execution_timeout=dict(type="int", default=900),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1200),
    )
    module = AwsIrModule(stage=STAGE_VOLATILE, argument_spec=argument_spec, supports_check_mode=True)
    module.run(do, "volatile capture stopped; the actions list says which commands were sent")


if __name__ == "__main__":
    main()
