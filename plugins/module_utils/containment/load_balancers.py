# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Take the instance out of every load balancer before it is isolated, and put it back on release.

Classic ELBs list their instances; ELBv2 target groups hold instance-type
targets (by instance id) and IP-type targets (by private IP). DeregisterTargets
without the registered port answers success and deregisters nothing, so each
target is deregistered with the exact Id, Port and (IP targets only)
AvailabilityZone that DescribeTargetHealth reports, and recorded that way so a
release registers it again the same way. A deregistered target drains for the
target group's deregistration delay: the state is reported, and waited for only
when asked. Only load balancers and target groups in the instances' VPCs are read.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import poll

_SUPPORTED_TARGET_TYPES = ("instance", "ip")
# Registrations that do not carry traffic to the target any more.
_NOT_REGISTERED = ("draining", "unused")
_WAIT_DELAY = 5  # seconds between DescribeTargetHealth calls while waiting for draining to end


class DrainingTimeout(AwsIrError):
    """Targets still draining when wait_timeout ran out; the message names them."""


def read_classic_registrations(client, instance_ids, vpc_ids):
    """({instance_id: [load balancer name, ...]}, {names of the classic ELBs of the VPCs}) (DescribeLoadBalancers)."""
    wanted = set(instance_ids)
    registrations, names = {}, set()
    for lb in paginate(client, "describe_load_balancers")["LoadBalancerDescriptions"]:
        if lb.get("VPCId") not in vpc_ids:
            continue
        names.add(lb["LoadBalancerName"])
        for member in lb.get("Instances", []):
            if member["InstanceId"] in wanted:
                registrations.setdefault(member["InstanceId"], []).append(lb["LoadBalancerName"])
    return {i: sorted(found) for i, found in registrations.items()}, names


def read_target_groups(client, vpc_ids):
    """The instance- and IP-type target groups of the VPCs (DescribeTargetGroups), boto3 shapes."""
    groups = paginate(client, "describe_target_groups")["TargetGroups"]
    return [g for g in groups if g.get("VpcId") in vpc_ids and g.get("TargetType", "instance") in _SUPPORTED_TARGET_TYPES]


def read_target_registrations(client, target_groups, addresses):
    """{instance_id: [target, ...]}, each target {"target_group_arn", "target_type", "id", "port", "availability_zone", "state"}.

    addresses: {instance_id: [private IPs]}; a target matches an instance by its
    instance id or by any of its private IPs. One DescribeTargetHealth per target
    group; targets that are draining or unused are not registrations.
    """
    owner = {}
    for instance_id, ips in addresses.items():
        owner[instance_id] = instance_id
        for ip in ips:
            owner[ip] = instance_id
    registrations = {}
    for group in target_groups:
        health = client.describe_target_health(aws_retry=True, TargetGroupArn=group["TargetGroupArn"])
        for description in health["TargetHealthDescriptions"]:
            target = description["Target"]
            instance_id = owner.get(target["Id"])
            state = description.get("TargetHealth", {}).get("State")
            if instance_id is None or state in _NOT_REGISTERED:
                continue
            registrations.setdefault(instance_id, []).append({
                "target_group_arn": group["TargetGroupArn"],
                "target_type": group.get("TargetType", "instance"),
                "id": target["Id"],
                "port": target.get("Port"),
                "availability_zone": target.get("AvailabilityZone"),
                "state": state,
            })
    return registrations


def network_load_balancers(client, target_groups):
    """{target group ARN: [Network Load Balancer name, ...]} of the target groups behind an NLB (DescribeLoadBalancers)."""
    arns = sorted({arn for g in target_groups for arn in g.get("LoadBalancerArns", [])})
    if not arns:
        return {}
    network = {lb["LoadBalancerArn"]: lb["LoadBalancerName"]
               for lb in paginate(client, "describe_load_balancers", LoadBalancerArns=arns)["LoadBalancers"] if lb.get("Type") == "network"}
    found = {}
    for group in target_groups:
        names = sorted(network[arn] for arn in group.get("LoadBalancerArns", []) if arn in network)
        if names:
            found[group["TargetGroupArn"]] = names
    return found


def group_ports(target_groups):
    """{target group ARN: its port} (the port an instance gets when registered without one)."""
    return {g["TargetGroupArn"]: g.get("Port") for g in target_groups}


def covered_by_auto_scaling(instance_id, group, classic, targets, ports):
    """The registrations that (de)registering the instance with its Auto Scaling group makes: (classic names, targets).

    AWS deregisters a detached instance from the group's classic ELBs and target
    groups, and registers an attached one with them (instance id, group port).
    group: {"load_balancer_names", "target_group_arns"} of the Auto Scaling group.
    """
    names = [n for n in classic.get(instance_id, []) if n in group["load_balancer_names"]]
    covered = [t for t in targets.get(instance_id, [])
               if t["target_group_arn"] in group["target_group_arns"] and t["id"] == instance_id and t["port"] == ports.get(t["target_group_arn"])]
    return names, covered


def _by_load_balancer(registrations):
    by_lb = {}
    for instance_id, names in sorted(registrations.items()):
        for name in names:
            by_lb.setdefault(name, []).append(instance_id)
    return sorted(by_lb.items())


def deregister_classic(log, client, registrations):
    """DeregisterInstancesFromLoadBalancer, one call per load balancer for all its target instances."""
    for name, instance_ids in _by_load_balancer(registrations):
        parameters = {"LoadBalancerName": name, "Instances": [{"InstanceId": i} for i in instance_ids]}
        log.call(client, "elb", "DeregisterInstancesFromLoadBalancer", name, parameters, instance_ids=instance_ids,
                 before={"registered": instance_ids}, after={"registered": []})


def register_classic(log, client, registrations):
    """RegisterInstancesWithLoadBalancer, one call per load balancer for all the instances to put back."""
    for name, instance_ids in _by_load_balancer(registrations):
        parameters = {"LoadBalancerName": name, "Instances": [{"InstanceId": i} for i in instance_ids]}
        log.call(client, "elb", "RegisterInstancesWithLoadBalancer", name, parameters, instance_ids=instance_ids,
                 before={"registered": []}, after={"registered": instance_ids})


def _by_target_group(registrations):
    by_group = {}
    for instance_id, targets in sorted(registrations.items()):
        for target in targets:
            by_group.setdefault(target["target_group_arn"], []).append((instance_id, target))
    return [(arn, [target_spec(t) for _i, t in members], sorted({i for i, _t in members})) for arn, members in sorted(by_group.items())]


def deregister_targets(log, client, registrations):
    """DeregisterTargets, one call per target group, each target with its exact Id, Port and AvailabilityZone."""
    for arn, targets, instance_ids in _by_target_group(registrations):
        log.call(client, "elbv2", "DeregisterTargets", arn, {"TargetGroupArn": arn, "Targets": targets}, instance_ids=instance_ids,
                 before={"registered": targets}, after={"registered": []})


def register_targets(log, client, registrations):
    """RegisterTargets, one call per target group, each target with the Id, Port and AvailabilityZone recorded."""
    for arn, targets, instance_ids in _by_target_group(registrations):
        log.call(client, "elbv2", "RegisterTargets", arn, {"TargetGroupArn": arn, "Targets": targets}, instance_ids=instance_ids,
                 before={"registered": []}, after={"registered": targets})


def target_spec(target):
    """The TargetDescription (boto3 shape) of a recorded target."""
    spec = {"Id": target["id"]}
    if target["port"] is not None:
        spec["Port"] = target["port"]
    # AWS accepts AvailabilityZone only for IP targets.
    if target["target_type"] == "ip" and target["availability_zone"]:
        spec["AvailabilityZone"] = target["availability_zone"]
    return spec


def draining(client, registrations):
    """{instance_id: [target that is draining]} after deregistration (DescribeTargetHealth with the targets named)."""
    found = {}
    for arn, targets, _instance_ids in _by_target_group(registrations):
        health = client.describe_target_health(aws_retry=True, TargetGroupArn=arn, Targets=targets)["TargetHealthDescriptions"]
        states = {(d["Target"]["Id"], d["Target"].get("Port")): d.get("TargetHealth", {}).get("State") for d in health}
        for instance_id, recorded in registrations.items():
            for target in recorded:
                if target["target_group_arn"] == arn and states.get((target["id"], target["port"])) == "draining":
                    found.setdefault(instance_id, []).append({"target_group_arn": arn, "id": target["id"], "port": target["port"]})
    return found


def wait_deregistered(client, registrations, timeout):
    """Wait until no deregistered target drains any more (DescribeTargetHealth every 5 s); DrainingTimeout after timeout seconds."""
    still, ended = poll(lambda: draining(client, registrations), lambda found: not found, timeout, _WAIT_DELAY)
    if not ended:
        targets = [f"{t['id']}:{t['port']} of {t['target_group_arn']}" for found in still.values() for t in found]
        raise DrainingTimeout(f"wait_timeout: targets {', '.join(targets)} still draining after {timeout} s; "
                              "containment stopped before isolation (wait: false isolates without waiting)")
