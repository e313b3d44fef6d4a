# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Whether SSM Run Command can reach an instance, from DescribeInstanceInformation.

SendCommand answers InvalidInstanceId for every kind of unreachable instance;
only DescribeInstanceInformation's PingStatus tells them apart, so both the
preflight and the capture ask it first.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.retry import chunks
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

PING_ONLINE = "Online"
UNMANAGED = "unmanaged"

# What a responder should check for each way an instance can be out of reach.
LIKELY_CAUSE = {
    "ConnectionLost": "the SSM Agent stopped answering: instance stopped or hung, agent stopped, or no route to the SSM endpoints",
    "Inactive": "the managed instance is no longer active in Systems Manager (deregistered, or the instance was stopped long ago)",
    UNMANAGED: "not a managed instance: no SSM Agent, no instance profile allowing ssm:UpdateInstanceInformation, or no route to SSM",
}
# DescribeInstanceInformation's InstanceIds filter takes at most 50 values per call.
_FILTER_MAX = 50


def describe_reachability(client, instance_ids):
    """{instance_id: dict} for each id, from DescribeInstanceInformation.

    Each dict: ping_status (Online, ConnectionLost, Inactive, or "unmanaged" when
    the instance is absent from the answer), platform_type (Linux, Windows,
    MacOS or None), platform_name, platform_version, agent_version,
    last_ping (ISO 8601 or None), reachable (bool) and likely_cause (str or None).
    """
    found = {}
    ids = list(instance_ids)
    for chunk in chunks(ids, _FILTER_MAX):
        answer = paginate(client, "describe_instance_information", Filters=[{"Key": "InstanceIds", "Values": chunk}],
                          PaginationConfig={"PageSize": _FILTER_MAX})
        for info in answer["InstanceInformationList"]:
            found[info["InstanceId"]] = info
    return {i: _reachability(found.get(i)) for i in ids}


def _reachability(info):
    if info is None:
        return {
            "ping_status": UNMANAGED, "platform_type": None, "platform_name": None, "platform_version": None,
            "agent_version": None, "last_ping": None, "reachable": False, "likely_cause": LIKELY_CAUSE[UNMANAGED],
        }
    status = info.get("PingStatus")
    last_ping = info.get("LastPingDateTime")
    return {
        "ping_status": status,
        "platform_type": info.get("PlatformType"),
        "platform_name": info.get("PlatformName"),
        "platform_version": info.get("PlatformVersion"),
        "agent_version": info.get("AgentVersion"),
        "last_ping": last_ping.isoformat() if hasattr(last_ping, "isoformat") else last_ping,
        "reachable": status == PING_ONLINE,
        "likely_cause": None if status == PING_ONLINE else LIKELY_CAUSE.get(status, f"PingStatus is {status}"),
    }


def volatile_capture(state, reach):
    """"possible", or why volatile data cannot be collected: the instance's EC2 state first, then SSM's PingStatus.

    state: the instance's EC2 state name; reach: its entry of describe_reachability.
    """
    if state != "running":
        return f"impossible: the instance is {state}, its memory is gone or frozen"
    if not reach["reachable"]:
        return f"impossible: SSM PingStatus is {reach['ping_status']} ({reach['likely_cause']})"
    return "possible"
