# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The memory images of one module run, after the triage: reuse what an earlier run started, start the rest, wait, finish.

One acquisition (its upload, plan, command and read-back) is memory.MemoryRun's; this file decides which instances
get one and collects their results.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture import run_command
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory import memory_sizes

# Beyond SSM's own timeouts the memory wait gives the agent this long to report and upload its output.
_REPORT_SECONDS = 120


def capture_memory(run, ec2, platforms, force, wait):
    """{instance_id: {"artifacts", "outcome"}} of the memory images.

    run: a memory.MemoryRun; ec2: a client for DescribeInstanceTypes; platforms: {instance_id: linux, windows or macos};
    force: acquire again even where an earlier run did; wait: wait for the commands and finish the uploads.
    """
    results = {i: _result([], {"status": "skipped", "detail": f"memory_tools has no tool for {p}"})
               for i, p in platforms.items() if p not in run.tools}
    wanted = {i: p for i, p in platforms.items() if p in run.tools}
    acquisitions = {} if force else _resume(run, wanted)
    fresh = [i for i in wanted if i not in acquisitions]
    if not force:
        results.update(_already_in_bucket(run, fresh, wanted))
        fresh = [i for i in fresh if i not in results]
    acquisitions.update(_start(run, ec2, fresh, wanted))
    results.update(_left_running(run, acquisitions) if run.log.check_mode or not wait else _finish(run, acquisitions))
    return results


def _result(artifacts, outcome):
    return {"artifacts": artifacts, "outcome": outcome}


def _resume(run, wanted):
    """The acquisitions earlier runs started with a command that did not fail."""
    previous = run_command.find_previous(run.ssm, list(wanted), run.comment)
    return {i: run.resume(i, wanted[i], command_id) for i, command_id in previous.items()}


def _already_in_bucket(run, ids, wanted):
    """The results of the instances whose image is in the bucket though no command of theirs is listed any more."""
    return {i: _result(*run.found_only(i, wanted[i])) for i in ids if run.existing_image(i, wanted[i])}


def _start(run, ec2, ids, wanted):
    sizes = memory_sizes(ec2, ids) if ids else {}
    return {i: run.start(i, wanted[i], sizes[i]) for i in ids}


def _left_running(run, acquisitions):
    """The results of acquisitions planned (check mode) or sent and not waited for."""
    status = "planned" if run.log.check_mode else "sent"
    return {i: _result([], {"status": status, "command_id": a["command_id"], "upload_id": a["upload_id"]}) for i, a in acquisitions.items()}


def _finish(run, acquisitions):
    """Wait as long as SSM lets the commands run (plus time to report), then finish each acquisition."""
    seconds = run.timeouts["delivery"] + run.timeouts["execution"] + _REPORT_SECONDS
    invocations = run_command.wait_for(run.ssm, {i: a["command_id"] for i, a in acquisitions.items()}, seconds)
    return {i: _result(*run.finish(acquisition, invocations[i])) for i, acquisition in acquisitions.items()}
