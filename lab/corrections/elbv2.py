"""DeregisterTargets as AWS documents it: a port override must be named, and unknown targets are no error."""
import uuid

from lab import moto_state
from lab.corrections.params import numbered_structs

_OK = ('<DeregisterTargetsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">'
       "<DeregisterTargetsResult/><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></DeregisterTargetsResponse>")


def _registered(target_group, target):
    """True when this (Id, Port) is registered; a missing Port means the target group's port."""
    current = target_group.targets.get(target.get("Id"))
    if current is None:
        return False
    wanted = int(target.get("Port") or target_group.port or 0)
    return int(current.get("Port") or target_group.port or 0) == wanted


def deregister_targets(call, account):
    """Deregister exactly the registered (Id, Port) pairs; everything else succeeds and changes nothing."""
    backend = moto_state.backend("elbv2", account, call.region)
    target_group = backend.target_groups.get(call.params.get("TargetGroupArn", ""))
    if target_group is None:
        return None  # moto answers TargetGroupNotFound
    targets = [target for target in numbered_structs(call.params, "Targets.member") if _registered(target_group, target)]
    if targets:
        target_group.deregister([{"Id": target["Id"]} for target in targets])
    body = _OK.format(uuid.uuid4()).encode("utf-8")
    return 200, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body
