"""ELBv2 targets as AWS documents them: exact ports on deregistration, Availability Zones, and draining.

moto keeps one dict per registered target (Id and Port); the lab adds, on that dict, the Availability
Zone of an IP target, and on the target group, the targets that are draining (deregistered less than
deregistration_delay.timeout_seconds ago). Both live in moto's objects, so a reset clears them.
"""
import ipaddress
import time
import uuid
from xml.sax.saxutils import escape

from lab import moto_state
from lab.corrections.params import numbered_structs

_XMLNS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
_DRAINING = ("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")
_NOT_REGISTERED = ("unused", "Target.NotRegistered", "Target is not registered to the target group")


def _answer(action, result):
    body = (f'<{action}Response xmlns="{_XMLNS}"><{action}Result>{result}</{action}Result>'
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>").encode("utf-8")
    return 200, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body


def _target_group(call, account):
    backend = moto_state.backend("elbv2", account, call.region)
    return backend.target_groups.get(call.params.get("TargetGroupArn", ""))


def _port(target_group, target):
    """A target's port; a missing Port means the target group's port."""
    return int(target.get("Port") or target_group.port or 0)


def _draining(target_group):
    """{(id, port): {"until": epoch seconds, "zone": str or None}} of the target group, expired entries dropped."""
    draining = target_group.__dict__.setdefault("lab_draining", {})
    now = time.time()
    for key in [key for key, entry in draining.items() if entry["until"] <= now]:
        del draining[key]
    return draining


def _registered(target_group, target):
    """True when this (Id, Port) is registered."""
    current = target_group.targets.get(target.get("Id"))
    return current is not None and _port(target_group, current) == _port(target_group, target)


def _detected_zone(call, account, target_group, ip):
    """The zone of the target group's VPC subnet that holds ip, as AWS detects it for an IP target without one."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    ec2 = moto_state.backend("ec2", account, call.region)
    for subnet in ec2.describe_subnets(filters={"vpc-id": [target_group.vpc_id]}):
        if address in ipaddress.ip_network(subnet.cidr_block):
            return subnet.availability_zone
    return None


def after_register_targets(call, account):
    """Keep each IP target's Availability Zone (given or detected); a registered target no longer drains."""
    target_group = _target_group(call, account)
    if target_group is None:
        return
    draining = _draining(target_group)
    for target in numbered_structs(call.params, "Targets.member"):
        draining.pop((target["Id"], _port(target_group, target)), None)
        if target_group.target_type == "ip":
            zone = target.get("AvailabilityZone") or _detected_zone(call, account, target_group, target["Id"])
            target_group.targets[target["Id"]]["AvailabilityZone"] = zone


def deregister_targets(call, account):
    """Deregister exactly the registered (Id, Port) pairs, which then drain; everything else succeeds and changes nothing."""
    target_group = _target_group(call, account)
    if target_group is None:
        return None  # moto answers TargetGroupNotFound
    targets = [target for target in numbered_structs(call.params, "Targets.member") if _registered(target_group, target)]
    drain(target_group, [target["Id"] for target in targets])
    return _answer("DeregisterTargets", "")


def drain(target_group, target_ids):
    """Deregister these registered target ids; each drains for the group's deregistration delay."""
    delay = int(target_group.attributes.get("deregistration_delay.timeout_seconds", 300))
    draining = _draining(target_group)
    for target_id in target_ids:
        current = target_group.targets[target_id]
        draining[(target_id, _port(target_group, current))] = {"until": time.time() + delay, "zone": current.get("AvailabilityZone")}
    if target_ids:
        target_group.deregister([{"Id": target_id} for target_id in target_ids])


def _description(target_group, target_id, port, zone, health):
    state, reason, text = health
    zone_xml = f"<AvailabilityZone>{escape(zone)}</AvailabilityZone>" if zone else ""
    reason_xml = f"<Reason>{escape(reason)}</Reason><Description>{escape(text)}</Description>" if reason else ""
    health_port = escape(str(target_group.health_check_port or "traffic-port"))
    return (f"<member><Target><Id>{escape(target_id)}</Id><Port>{port}</Port>{zone_xml}</Target>"
            f"<HealthCheckPort>{health_port}</HealthCheckPort><TargetHealth><State>{state}</State>{reason_xml}</TargetHealth></member>")


def _health(call, account, target_group, target):
    """(state, reason, description) of a registered target, from moto."""
    ec2 = moto_state.backend("ec2", account, call.region)
    status = target_group.health_for(target, ec2)
    return status.status, status.reason, status.description


def describe_target_health(call, account):
    """Registered targets with the Availability Zone of IP targets, plus the draining ones; named targets each get a state."""
    target_group = _target_group(call, account)
    if target_group is None:
        return None  # moto answers TargetGroupNotFound
    draining = _draining(target_group)
    asked = numbered_structs(call.params, "Targets.member")
    members = []
    if not asked:
        for target in target_group.targets.values():
            members.append(_description(target_group, target["Id"], _port(target_group, target), target.get("AvailabilityZone"),
                                        _health(call, account, target_group, target)))
        for (target_id, port), entry in draining.items():
            members.append(_description(target_group, target_id, port, entry["zone"], _DRAINING))
    for target in asked:
        key = (target["Id"], _port(target_group, target))
        if _registered(target_group, target):
            current = target_group.targets[target["Id"]]
            health = _health(call, account, target_group, current)
            zone = current.get("AvailabilityZone")
        elif key in draining:
            health, zone = _DRAINING, draining[key]["zone"]
        else:
            health, zone = _NOT_REGISTERED, target.get("AvailabilityZone")
        members.append(_description(target_group, key[0], key[1], zone, health))
    return _answer("DescribeTargetHealth", f"<TargetHealthDescriptions>{''.join(members)}</TargetHealthDescriptions>")
