# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the instances look like now, read before the first change, in the shape that is recorded.

Containment records this state before it changes anything (``state_before``,
which the evidence manifest keeps from the first run); a release reads it again
to compare it with the recorded one. Every value is read with a describe call;
nothing here changes anything.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.containment import auto_scaling
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import credentials
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import elastic_ips
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import load_balancers
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import original_state
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import protection
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import network_interfaces

_RECORDED_INTERFACE_KEYS = ("network_interface_id", "device_index", "vpc_id", "subnet_id", "groups")


class Survey:
    """The current state of the instances.

    clients: {"ec2", "autoscaling", "elb", "elbv2"}; instances: {instance_id:
    instance (boto3 shape)}. auto_scaling_groups / load_balancer_registrations: whether to read Auto
    Scaling memberships and load balancer registrations.
    """

    def __init__(self, clients, instances, auto_scaling_groups=True, load_balancer_registrations=True):
        ec2 = clients["ec2"]
        ids = list(instances)
        self.instances = instances
        self.interfaces = {i: [dict(eni, instance_id=i) for eni in network_interfaces(inst)] for i, inst in instances.items()}
        self.all_interfaces = [eni for enis in self.interfaces.values() for eni in enis]
        self.vpc_ids = sorted({eni["vpc_id"] for eni in self.all_interfaces})
        self.interface_tags = original_state.read_interface_tags(ec2, [eni["network_interface_id"] for eni in self.all_interfaces])
        self.attributes = protection.read_attributes(ec2, ids)
        self.devices = {i: protection.delete_on_termination(inst) for i, inst in instances.items()}
        self.profiles = credentials.read_associations(ec2, ids)
        self.addresses = elastic_ips.read_addresses(ec2, self.all_interfaces)
        self.memberships, self.asg_groups = {}, {}
        if auto_scaling_groups:
            self.memberships = auto_scaling.read_memberships(clients["autoscaling"], ids)
            self.asg_groups = auto_scaling.read_groups(clients["autoscaling"], [m["group_name"] for m in self.memberships.values()])
        self.classic, self.targets, self.target_groups, self.classic_names = {}, {}, [], set()
        if load_balancer_registrations:
            self.classic, self.classic_names = load_balancers.read_classic_registrations(clients["elb"], ids, self.vpc_ids)
            self.target_groups = load_balancers.read_target_groups(clients["elbv2"], self.vpc_ids)
            addresses = {i: [ip for eni in enis for ip in eni["private_ips"]] for i, enis in self.interfaces.items()}
            self.targets = load_balancers.read_target_registrations(clients["elbv2"], self.target_groups, addresses)

    def spot(self, instance_id):
        return self.instances[instance_id].get("InstanceLifecycle") == "spot"

    def state(self, instance_id):
        """The state of one instance as it is recorded (see the module's RETURN state_before)."""
        profile = self.profiles.get(instance_id)
        return {
            "instance_id": instance_id,
            "attributes": self.attributes[instance_id],
            "delete_on_termination": self.devices[instance_id],
            "network_interfaces": [{k: eni[k] for k in _RECORDED_INTERFACE_KEYS} for eni in self.interfaces[instance_id]],
            "auto_scaling": auto_scaling.state_before(self.memberships, self.asg_groups, instance_id),
            "load_balancers": self.classic.get(instance_id, []),
            "target_groups": self.targets.get(instance_id, []),
            "elastic_ips": self.addresses.get(instance_id, []),
            "iam_instance_profile": {"arn": profile["arn"]} if profile else None,
        }
