# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Take the instance out of every load balancer before it is isolated.

Classic ELBs list their instances; ELBv2 target groups hold instance-type
targets (by instance id) and IP-type targets (by private IP). DeregisterTargets
without the registered port answers success and deregisters nothing, so each
target is deregistered with the exact Id, Port and AvailabilityZone that
DescribeTargetHealth reports, and recorded that way so a release restores it.
Only load balancers and target groups in the instances' VPCs are read.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

_SUPPORTED_TARGET_TYPES = ("instance", "ip")


def read_classic_registrations(client, instance_ids, vpc_ids):
    """{instance_id: [load balancer name, ...]} for the given instances (DescribeLoadBalancers)."""
    wanted = set(instance_ids)
    registrations = {}
    for lb in paginate(client, "describe_load_balancers")["LoadBalancerDescriptions"]:
        if lb.get("VPCId") not in vpc_ids:
            continue
        for member in lb.get("Instances", []):
            if member["InstanceId"] in wanted:
                registrations.setdefault(member["InstanceId"], []).append(lb["LoadBalancerName"])
    return {i: sorted(names) for i, names in registrations.items()}


def read_target_registrations(client, addresses, vpc_ids):
    """{instance_id: [target, ...]}, each target {"target_group_arn", "target_type", "id", "port", "availability_zone", "state"}.

    addresses: {instance_id: [private IPs]}; a target matches an instance by its
    instance id or by any of its private IPs. One DescribeTargetHealth per
    target group in the instances' VPCs.
    """
    owner = {}
    for instance_id, ips in addresses.items():
        owner[instance_id] = instance_id
        for ip in ips:
            owner[ip] = instance_id
    registrations = {}
    for group in _target_groups(client, vpc_ids):
        health = client.describe_target_health(aws_retry=True, TargetGroupArn=group["TargetGroupArn"])
        for description in health["TargetHealthDescriptions"]:
            target = description["Target"]
            instance_id = owner.get(target["Id"])
            if instance_id is None:
                continue
            registrations.setdefault(instance_id, []).append({
                "target_group_arn": group["TargetGroupArn"],
                "target_type": group.get("TargetType", "instance"),
                "id": target["Id"],
                "port": target.get("Port"),
                "availability_zone": target.get("AvailabilityZone"),
                "state": description.get("TargetHealth", {}).get("State"),
            })
    return registrations


def _target_groups(client, vpc_ids):
    groups = paginate(client, "describe_target_groups")["TargetGroups"]
    return [g for g in groups if g.get("VpcId") in vpc_ids and g.get("TargetType", "instance") in _SUPPORTED_TARGET_TYPES]


def deregister_classic(log, client, registrations):
    """DeregisterInstancesFromLoadBalancer, one call per load balancer for all its target instances."""
    by_lb = {}
    for instance_id, names in sorted(registrations.items()):
        for name in names:
            by_lb.setdefault(name, []).append(instance_id)
    for name, instance_ids in sorted(by_lb.items()):
        parameters = {"LoadBalancerName": name, "Instances": [{"InstanceId": i} for i in instance_ids]}
        log.call(client, "elb", "DeregisterInstancesFromLoadBalancer", name, parameters, instance_ids=instance_ids,
                 before={"registered": instance_ids}, after={"registered": []})


def deregister_targets(log, client, registrations):
    """DeregisterTargets, one call per target group, each target with its exact Id, Port and AvailabilityZone."""
    by_group = {}
    for instance_id, targets in sorted(registrations.items()):
        for target in targets:
            by_group.setdefault(target["target_group_arn"], []).append((instance_id, target))
    for arn, members in sorted(by_group.items()):
        targets = [_target_spec(t) for _i, t in members]
        instance_ids = sorted({i for i, _t in members})
        log.call(client, "elbv2", "DeregisterTargets", arn, {"TargetGroupArn": arn, "Targets": targets}, instance_ids=instance_ids,
                 before={"registered": targets}, after={"registered": []})


def _target_spec(target):
    spec = {"Id": target["id"]}
    if target["port"] is not None:
        spec["Port"] = target["port"]
    # AWS accepts AvailabilityZone only for IP targets.
    if target["target_type"] == "ip" and target["availability_zone"]:
        spec["AvailabilityZone"] = target["availability_zone"]
    return spec
