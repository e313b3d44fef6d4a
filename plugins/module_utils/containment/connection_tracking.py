# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Connection tracking timeouts per network interface: the shortest AWS allows at isolation, the recorded ones back at release.

Flows AWS tracks automatically (through a NAT gateway, a Network Load Balancer, a transit gateway,
an interface endpoint, and all ICMP) outlive the security-group swap until they are idle for the
interface's timeout: 432,000 s (5 days) for established TCP by default. EC2 API Reference,
ConnectionTrackingSpecificationRequest: TcpEstablishedTimeout 60..432000 s (default 432000; 350 on
Nitro v6 types), UdpStreamTimeout 60..180 s (default 180), UdpTimeout 30..60 s (default 30);
configurable on Nitro based instances only (AWS What's New, 2023-11-20). The value before
containment is kept in state_before (connection_tracking, per interface: null when never set) and in
each action's before/after.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

SHORTEST = {"TcpEstablishedTimeout": 60, "UdpStreamTimeout": 60, "UdpTimeout": 30}
# What an interface that never had a configuration tracks with (and gets back at release).
DEFAULTS = {"TcpEstablishedTimeout": 432000, "UdpStreamTimeout": 180, "UdpTimeout": 30}
UNSUPPORTED = "UnsupportedOperation"


def read(instance):
    """{network_interface_id: ConnectionTrackingConfiguration or None} of an instance (boto3 shape, DescribeInstances)."""
    return {eni["NetworkInterfaceId"]: eni.get("ConnectionTrackingConfiguration") for eni in instance.get("NetworkInterfaces", [])}


def _set(log, client, instance_id, interface_id, before, wanted, instance_type):
    """One ModifyNetworkInterfaceAttribute; returns None, or a sentence when the instance type does not support it."""
    parameters = {"NetworkInterfaceId": interface_id, "ConnectionTrackingSpecification": dict(wanted)}
    try:
        log.call(client, "ec2", "ModifyNetworkInterfaceAttribute", interface_id, parameters, instance_ids=[instance_id],
                 before={"connection_tracking": before}, after={"connection_tracking": wanted})
    except is_boto3_error_code(UNSUPPORTED):
        return (f"{instance_id}: network interface {interface_id}: connection tracking timeouts are not supported by instance type "
                f"{instance_type} (Nitro based instances only): its tracked flows can stay idle up to "
                f"{(before or DEFAULTS)['TcpEstablishedTimeout']} s (TCP)")
    return None


def shorten(log, client, instance_id, configurations, instance_type):
    """The shortest timeouts on each interface that lacks them; returns ({interface: configuration now}, warnings)."""
    now, warnings = {}, []
    for interface_id, before in configurations.items():
        if before == SHORTEST:
            now[interface_id] = before
            continue
        refused = _set(log, client, instance_id, interface_id, before, SHORTEST, instance_type)
        now[interface_id] = before if refused else dict(SHORTEST)
        warnings += [refused] if refused else []
    return now, warnings


def restore(log, client, instance_id, recorded, current):
    """Put back the recorded configuration (the documented defaults where none was set) on each interface that differs."""
    for interface_id, before in recorded.items():
        wanted = before or DEFAULTS
        if interface_id in current and current[interface_id] not in (before, wanted):
            log.call(client, "ec2", "ModifyNetworkInterfaceAttribute", interface_id,
                     {"NetworkInterfaceId": interface_id, "ConnectionTrackingSpecification": dict(wanted)}, instance_ids=[instance_id],
                     before={"connection_tracking": current[interface_id]}, after={"connection_tracking": wanted})


def restore_all(log, client, recorded, instances, before, after):
    """restore() on every instance whose recorded state has connection tracking values (manifests before them have none).

    before, after: the release's per-instance states, given each instance's configurations now and once restored.
    """
    for instance_id, state in recorded.items():
        current = read(instances[instance_id])
        before[instance_id]["connection_tracking"] = current
        after[instance_id]["connection_tracking"] = current
        if state.get("connection_tracking"):
            restore(log, client, instance_id, state["connection_tracking"], current)
            after[instance_id]["connection_tracking"] = {i: c or DEFAULTS for i, c in state["connection_tracking"].items()}


def lasting(configurations):
    """How long an idle tracked flow can last on the instance's interfaces now, as a sentence for the tracked-paths warning."""
    tcp = max((c or DEFAULTS)["TcpEstablishedTimeout"] for c in configurations.values()) if configurations else DEFAULTS["TcpEstablishedTimeout"]
    udp = max((c or DEFAULTS)["UdpStreamTimeout"] for c in configurations.values()) if configurations else DEFAULTS["UdpStreamTimeout"]
    return f"such a flow lasts until it has been idle for {tcp} s (established TCP) or {udp} s (UDP stream)"
