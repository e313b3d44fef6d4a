# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Running the triage on the reachable instances: which comment, send or reuse, wait, read the output back from S3.

What the triage collects (the profiles) is in triage.py; this file runs it once per module run.
"""

import hashlib
import json

from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture import run_command
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.command_output import read_outputs
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_documents import PLATFORMS
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.triage import CUSTOM
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.triage import commands_for
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.triage import parse_steps
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.triage import step_commands
from ansible_collections.secops.aws_ir.plugins.module_utils.concurrency import map_concurrently

# Outputs read back from S3 at once: each read keeps up to 2 x command_output.PARSE_BYTES in memory for parsing.
_READ_WORKERS = 4
_UPLOAD_FAILED = ("the command succeeded but its output is not in S3: the instance role likely lacks s3:PutObject "
                  "(or KMS access) on the bucket, or the bucket has a default Object Lock retention and the "
                  "instance's SSM Agent is one that uploads without the Content-MD5 S3 then requires")


class TriageRun:
    """The triage of one module run."""

    def __init__(self, log, clients, ticket, output, options):
        """log: the ActionLog; clients: {"ssm", "s3"}; output: {"bucket", "prefix"}; options: {"profile", "custom"
        ({platform: [command]}), "force", "timeouts" ({"delivery", "execution"} in seconds), "wait", "wait_timeout"}."""
        self.log, self.ssm, self.s3 = log, clients["ssm"], clients["s3"]
        self.ticket, self.output, self.options = ticket, output, options

    def commands(self, document):
        """The user's commands for the document's platform (custom profile), else None."""
        return (self.options["custom"].get(PLATFORMS[document]) or []) if self.options["profile"] == CUSTOM else None

    def comment(self, document):
        """aws-ir <ticket> triage, or triage custom-<hash of the commands>: a changed list is a new collection."""
        if self.options["profile"] != CUSTOM:
            return run_command.comment_for(self.ticket, "triage")
        digest = hashlib.sha256(json.dumps(self.commands(document)).encode("utf-8")).hexdigest()[:12]
        return run_command.comment_for(self.ticket, f"triage custom-{digest}")

    def send(self, targets):
        """{instance_id: command_id}: earlier commands found (unless force), new ones sent for the rest."""
        commands = {}
        for document in sorted(set(targets.values())):
            commands.update(self._send_document(document, [i for i, d in targets.items() if d == document]))
        return commands

    def _send_document(self, document, ids):
        comment = self.comment(document)
        found = {} if self.options["force"] else run_command.find_previous(self.ssm, ids, comment)
        missing = [i for i in ids if i not in found]
        if missing:
            lines = commands_for(document, self.ticket, self.options["profile"], self.commands(document))
            found.update(run_command.send(self.log, self.ssm, missing, document, lines, comment, self.output, self.options["timeouts"]))
        return found

    def collect(self, command_id, instance_id, document):
        """The stdout and stderr objects of one invocation, read back from S3, stdout split into its steps."""
        found = read_outputs(self.s3, self.output, command_id, instance_id, document, "triage")
        if "stdout" in found:
            labels = step_commands(document, self.options["profile"], self.commands(document))
            found["stdout"]["steps"] = parse_steps(found["stdout"]["head"], labels)
        return [dict((k, v) for k, v in artifact.items() if k != "head") for artifact in found.values()]

    def run(self, targets):
        """{instance_id: {"artifacts", "outcome"}} for the reachable targets ({instance_id: document name})."""
        results = {i: skipped(d) for i, d in targets.items() if self.options["profile"] == CUSTOM and not self.commands(d)}
        targets = {i: d for i, d in targets.items() if i not in results}
        commands = self.send(targets)
        if self.log.check_mode or not self.options["wait"]:
            status = "planned" if self.log.check_mode else "sent"
            results.update({i: {"artifacts": [], "outcome": dict({"status": status}, **_base(commands[i], d))} for i, d in targets.items()})
        else:
            results.update(self._finish(targets, commands))
        return results

    def _finish(self, targets, commands):
        """Wait for the commands, read their output back, settle each instance's outcome."""
        invocations = run_command.wait_for(self.ssm, commands, self.options["wait_timeout"])
        ids = list(targets)
        collected = map_concurrently(lambda i: self.collect(commands[i], i, targets[i]), ids, workers=_READ_WORKERS)
        return {i: {"artifacts": artifacts, "outcome": settle(invocations[i], artifacts, commands[i], targets[i])}
                for i, artifacts in zip(ids, collected)}


def _base(command_id, document):
    return {"command_id": command_id, "document_name": document, "ping_status": "Online"}


def skipped(document):
    """The result of an instance whose platform has no custom command."""
    return {"artifacts": [], "outcome": {"status": "skipped", "document_name": document, "ping_status": "Online",
                                         "detail": f"custom_commands has no commands for {PLATFORMS[document]}"}}


def settle(invocation, artifacts, command_id, document):
    """The triage outcome of one instance from its invocation and what S3 holds."""
    outcome = _base(command_id, document)
    if not run_command.is_terminal(invocation):
        return dict(outcome, status="still_running", detail="wait_timeout ran out; the command was left running, not re-sent")
    status = run_command.outcome_of(invocation)
    if status != "success":
        return dict(outcome, status=status, detail=run_command.describe_end(invocation))
    if not any(a["kind"] == "triage_stdout" for a in artifacts):
        return dict(outcome, status="evidence_upload_failed", detail=_UPLOAD_FAILED)
    return dict(outcome, status="captured", detail=None)
