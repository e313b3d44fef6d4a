# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The state a release restores, kept on the resources themselves from the first change (docs/original-state-tags.md).

The evidence manifest records each instance's state before containment, but only
when its upload succeeds, and only from the first run of respond.yml: a failed
first upload, or a containment by another playbook before respond.yml, leaves a
manifest whose state_before is the contained state. So containment first writes,
before any other change, the original state as tags: on the instance its
protections, volumes' DeleteOnTermination, Auto Scaling group, load balancer and
target group registrations and instance profile; on each network interface its
security groups and Elastic IPs. One tag per field (the AWS name of what it
holds), written once: a resource that carries its anchor tag (OriginalAttributes
on an instance, OriginalGroups on an interface) is never tagged again, so a
re-run cannot overwrite the original with the contained state. A completed
release deletes them, so the next containment records afresh.

EC2 limits (User Guide, Tag restrictions): a value of more than 256 characters
continues in "<key>:2", "<key>:3"...; a resource holds at most 50 tags, and one
whose record does not fit is not tagged at all, with a warning (the manifest
then is the only record). Values are plain text: items separated by a space,
the parts of an item by a comma.
"""

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.secops.aws_ir.plugins.module_utils.concurrency import each_recorded
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import MAX_TAGS
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import MAX_VALUE_LENGTH
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import ORIGINAL_STATE_PREFIX
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import has_room
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import tags_of

PREFIX = ORIGINAL_STATE_PREFIX
# On the instance; OriginalAttributes is its anchor.
ATTRIBUTES = PREFIX + "Attributes"
DELETE_ON_TERMINATION = PREFIX + "DeleteOnTermination"
AUTO_SCALING_GROUP = PREFIX + "AutoScalingGroup"
LOAD_BALANCERS = PREFIX + "LoadBalancers"
TARGET_GROUPS = PREFIX + "TargetGroups"
INSTANCE_PROFILE = PREFIX + "InstanceProfile"
# On each network interface; OriginalGroups is its anchor.
GROUPS = PREFIX + "Groups"
ELASTIC_IPS = PREFIX + "ElasticIps"
_CONTINUATION = ":"
_TRUE, _FALSE = "true", "false"


# --- values <-> text ---

def _flag(value):
    return _TRUE if value else _FALSE


def _pairs(mapping):
    """{name: value} as "name=value name=value" (bools as true/false)."""
    return " ".join(f"{k}={_flag(v) if isinstance(v, bool) else v}" for k, v in mapping.items())


def _unpairs(text):
    found = {}
    for item in text.split():
        name, _sep, value = item.partition("=")
        found[name] = value == _TRUE if value in (_TRUE, _FALSE) else value
    return found


def _items(text):
    """The comma-separated parts of each space-separated item."""
    return [item.split(",") for item in text.split()]


def _auto_scaling(state):
    # The group name comes last and may hold spaces: it is the rest of the value.
    if not state:
        return ""
    return f"min={state['min_size']} max={state['max_size']} desired={state['desired_capacity']} state={state['lifecycle_state']} name={state['group_name']}"


def _auto_scaling_of(text):
    if not text:
        return None
    fields = dict(part.partition("=")[::2] for part in text.split(" ", 4))
    return {"group_name": fields["name"], "lifecycle_state": fields["state"], "min_size": int(fields["min"]),
            "max_size": int(fields["max"]), "desired_capacity": int(fields["desired"])}


def _target(target):
    parts = (target["target_group_arn"], target["id"], target["port"], target["availability_zone"], target["state"])
    return ",".join("" if v is None else str(v) for v in parts)


def _target_of(parts):
    arn, target_id, port, zone, state = parts
    return {"target_group_arn": arn, "target_type": "instance" if target_id.startswith("i-") else "ip", "id": target_id,
            "port": int(port) if port else None, "availability_zone": zone or None, "state": state or None}


def instance_fields(state):
    """{tag key: text} of an instance's recorded state (the shape of Survey.state)."""
    return {
        ATTRIBUTES: _pairs(state["attributes"]),
        DELETE_ON_TERMINATION: _pairs(state["delete_on_termination"]),
        AUTO_SCALING_GROUP: _auto_scaling(state["auto_scaling"]),
        LOAD_BALANCERS: " ".join(state["load_balancers"]),
        TARGET_GROUPS: " ".join(_target(t) for t in state["target_groups"]),
        INSTANCE_PROFILE: (state["iam_instance_profile"] or {}).get("arn") or "",
    }


def interface_fields(eni, addresses):
    """{tag key: text} of one interface: its groups and the Elastic IPs associated with it."""
    mine = [a for a in addresses if a["network_interface_id"] == eni["network_interface_id"]]
    return {
        GROUPS: " ".join(eni["groups"]),
        ELASTIC_IPS: " ".join(f"{a['allocation_id']},{a['public_ip']},{a['private_ip_address'] or ''}" for a in mine),
    }


def to_tags(fields):
    """{tag key: value} with each text cut into values of at most 256 characters ("<key>", "<key>:2", ...)."""
    tags = {}
    for key, text in fields.items():
        chunks = [text[n:n + MAX_VALUE_LENGTH] for n in range(0, len(text), MAX_VALUE_LENGTH)] or [""]
        for number, chunk in enumerate(chunks, start=1):
            tags[key if number == 1 else f"{key}{_CONTINUATION}{number}"] = chunk
    return tags


def field(tags, key):
    """The text of one field from a resource's tags (its continuations joined), or None when absent."""
    if key not in tags:
        return None
    parts, number = [tags[key]], 2
    while f"{key}{_CONTINUATION}{number}" in tags:
        parts.append(tags[f"{key}{_CONTINUATION}{number}"])
        number += 1
    return "".join(parts)


def ours(tags):
    """The keys of a resource's tags that this module wrote."""
    return sorted(k for k in tags if k.startswith(PREFIX))


# --- reading ---

def read_interface_tags(client, interface_ids):
    """{network interface id: its tags} (DescribeNetworkInterfaces; DescribeInstances does not return interface tags)."""
    if not interface_ids:
        return {}
    found = paginate(client, "describe_network_interfaces", Filters=[{"Name": "network-interface-id", "Values": sorted(interface_ids)}])
    return {n["NetworkInterfaceId"]: {t["Key"]: t["Value"] for t in n.get("TagSet") or []} for n in found["NetworkInterfaces"]}


def recorded(instance_tags, interfaces, interface_tags):
    """The recorded original state of one instance, in the shape of Survey.state, or None when it carries none.

    interfaces: the instance's current interfaces (network_interface_id, device_index,
    vpc_id, subnet_id). Only interfaces that carry their own record are listed:
    one attached after containment was never changed by it.
    """
    if ATTRIBUTES not in instance_tags:
        return None
    network_interfaces, addresses = [], []
    for eni in interfaces:
        tags = interface_tags.get(eni["network_interface_id"], {})
        groups = field(tags, GROUPS)
        if groups is None:
            continue
        network_interfaces.append(dict({k: eni[k] for k in ("network_interface_id", "device_index", "vpc_id", "subnet_id")}, groups=groups.split()))
        addresses += [{"allocation_id": a, "public_ip": p, "network_interface_id": eni["network_interface_id"], "private_ip_address": ip or None}
                      for a, p, ip in _items(field(tags, ELASTIC_IPS) or "")]
    profile = field(instance_tags, INSTANCE_PROFILE)
    return {
        "attributes": _unpairs(field(instance_tags, ATTRIBUTES)),
        "delete_on_termination": _unpairs(field(instance_tags, DELETE_ON_TERMINATION) or ""),
        "network_interfaces": network_interfaces,
        "auto_scaling": _auto_scaling_of(field(instance_tags, AUTO_SCALING_GROUP)),
        "load_balancers": (field(instance_tags, LOAD_BALANCERS) or "").split(),
        "target_groups": [_target_of(parts) for parts in _items(field(instance_tags, TARGET_GROUPS) or "")],
        "elastic_ips": addresses,
        "iam_instance_profile": {"arn": profile} if profile else None,
    }


def recorded_states(survey):
    """{instance_id: recorded original state or None} of the surveyed instances."""
    return {i: recorded(tags_of(inst), survey.interfaces[i], survey.interface_tags) for i, inst in survey.instances.items()}


def state_before(current, original):
    """What the instance was before containment: its recorded original, with each interface that carries no record as it is now."""
    if original is None:
        return current
    recorded_enis = {eni["network_interface_id"]: eni for eni in original["network_interfaces"]}
    interfaces = [recorded_enis.get(eni["network_interface_id"], eni) for eni in current["network_interfaces"]]
    addresses = original["elastic_ips"] + [a for a in current["elastic_ips"] if a["network_interface_id"] not in recorded_enis]
    return dict(original, instance_id=current["instance_id"], network_interfaces=interfaces, elastic_ips=addresses)


# --- writing ---

def _write(log, client, resource, instance_id, current, fields, warnings):
    """One CreateTags with the resource's record, or a warning when its 50 tags leave no room for it."""
    wanted = to_tags(fields)
    if not has_room(current, wanted):
        warnings.append(f"{instance_id}: the original state of {resource} is not kept on it: it has {len(current)} tags and the record needs "
                        f"{len(wanted)} more (at most {MAX_TAGS}); a release of it needs the evidence manifest")
        return
    log.call(client, "ec2", "CreateTags", resource, {"Resources": [resource], "Tags": ansible_dict_to_boto3_tag_list(wanted)},
             instance_ids=[instance_id], after={"tags": wanted})


def _already_contained(instance_id, resource, warnings):
    warnings.append(f"{instance_id}: {resource} is already in a quarantine group and carries no record of its original state "
                    f"({PREFIX}* tags): that state is unknown here; a release needs the evidence manifest")


def record(log, client, survey, quarantine_group_ids):
    """Write, once, the original state of each instance and interface that carries none; returns {instance_id: [warning]}.

    quarantine_group_ids: the groups containment puts interfaces in (ours and the
    responder's): an interface already in one is contained, and its state now is
    not the original.
    """
    warnings = {i: [] for i in survey.instances}

    def record_one(branch, instance_id):
        interfaces = survey.interfaces[instance_id]
        contained = [e for e in interfaces if set(e["groups"]) & set(quarantine_group_ids)]
        if ATTRIBUTES not in tags_of(survey.instances[instance_id]):
            if contained:
                _already_contained(instance_id, instance_id, warnings[instance_id])
            else:
                _write(branch, client, instance_id, instance_id, tags_of(survey.instances[instance_id]),
                       instance_fields(survey.state(instance_id)), warnings[instance_id])
        for eni in interfaces:
            tags = survey.interface_tags.get(eni["network_interface_id"], {})
            if GROUPS in tags:
                continue
            if eni in contained:
                _already_contained(instance_id, eni["network_interface_id"], warnings[instance_id])
            else:
                _write(branch, client, eni["network_interface_id"], instance_id, tags,
                       interface_fields(eni, survey.addresses.get(instance_id, [])), warnings[instance_id])
    each_recorded(log, record_one, list(survey.instances))
    return warnings


def forget(log, client, survey):
    """One DeleteTags of every original-state tag on the instances and their interfaces (after a completed release); returns the resources."""
    carrying = {i: ours(tags_of(inst)) for i, inst in survey.instances.items()}
    carrying.update({e["network_interface_id"]: ours(survey.interface_tags.get(e["network_interface_id"], {})) for e in survey.all_interfaces})
    resources = sorted(r for r, keys in carrying.items() if keys)
    if resources:
        keys = sorted({k for r in resources for k in carrying[r]})
        log.call(client, "ec2", "DeleteTags", ",".join(resources), {"Resources": resources, "Tags": [{"Key": k} for k in keys]},
                 instance_ids=list(survey.instances), before={"tags": keys}, after={"tags": []})
    return resources
