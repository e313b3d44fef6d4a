"""Connection tracking timeouts of a network interface (ModifyNetworkInterfaceAttribute ConnectionTrackingSpecification), which moto lacks.

EC2 API Reference, ConnectionTrackingSpecificationRequest: TcpEstablishedTimeout 60..432000 s,
UdpStreamTimeout 60..180 s, UdpTimeout 30..60 s; a field left out keeps its value.
ModifyNetworkInterfaceAttribute modifies one attribute per call. AWS What's New (2023-11-20,
"EC2 security group connection tracking adds support for configurable idle timeouts"): Nitro
based instances only; the lab refuses an interface attached to a Xen instance type (moto's
DescribeInstanceTypes Hypervisor) with UnsupportedOperation. The configuration is kept on moto's
NetworkInterface (lab_connection_tracking) and shown as ConnectionTrackingConfiguration in
DescribeNetworkInterfaces and DescribeInstances once set (a model property, install()).
"""
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ec2.models.instance_types import INSTANCE_TYPES

from lab import moto_state
from lab.wire import ec2_answer, error_response

PREFIX = "ConnectionTrackingSpecification."
BOUNDS = {"TcpEstablishedTimeout": (60, 432000), "UdpStreamTimeout": (60, 180), "UdpTimeout": (30, 60)}


def _error(call, code, message):
    return error_response(call.protocol, code, message, 400)


def _requested(call):
    """({field: seconds}, None) of the call's specification, or (None, error answer) for a value out of range."""
    wanted = {}
    for name, (low, high) in BOUNDS.items():
        raw = call.params.get(PREFIX + name)
        if raw is None:
            continue
        value = int(raw) if str(raw).lstrip("-").isdigit() else None
        if value is None or not low <= value <= high:
            return None, _error(call, "InvalidParameterValue", f"{name} must be between {low} and {high} seconds (got {raw})")
        wanted[name] = value
    return wanted, None


def _unsupported(interface):
    """The instance type of the interface's instance when it is not Nitro based, else None."""
    instance = interface.instance
    if instance is None:
        return None
    return instance.instance_type if INSTANCE_TYPES.get(instance.instance_type, {}).get("Hypervisor") != "nitro" else None


def modify_network_interface_attribute(call, account):
    """Answer a call carrying ConnectionTrackingSpecification; None (moto answers) for any other attribute."""
    if not any(key.startswith(PREFIX) for key in call.params):
        return None
    others = [k for k in call.params if not k.startswith(PREFIX) and k not in ("NetworkInterfaceId", "DryRun")]
    if others:
        return _error(call, "InvalidParameterCombination", "Only one attribute can be modified at a time")
    wanted, refused = _requested(call)
    if refused:
        return refused
    interface_id = call.params.get("NetworkInterfaceId", "")
    interface = moto_state.backend("ec2", account, call.region).get_network_interface(interface_id)
    if interface is None:
        return _error(call, "InvalidNetworkInterfaceID.NotFound", f"The networkInterface ID '{interface_id}' does not exist")
    instance_type = _unsupported(interface)
    if instance_type:
        return _error(call, "UnsupportedOperation", f"Connection tracking timeouts are not supported for instance type {instance_type}")
    interface.lab_connection_tracking = dict(getattr(interface, "lab_connection_tracking", None) or {}, **wanted)
    return ec2_answer("ModifyNetworkInterfaceAttribute", {})


def or_else(correction):
    """This correction for calls carrying a ConnectionTrackingSpecification, the given one for the others."""
    return lambda call, account: modify_network_interface_attribute(call, account) or correction(call, account)


def _configuration(interface):
    return getattr(interface, "lab_connection_tracking", None)


def install():
    """Every answer that shows an interface shows its connection tracking configuration."""
    NetworkInterface.connection_tracking_configuration = property(_configuration)
