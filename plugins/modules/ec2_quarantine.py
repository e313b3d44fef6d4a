#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_quarantine
version_added: 1.0.0
short_description: Contain compromised EC2 instances while they stay online
description:
  - Contains one or more instances in the order that keeps evidence.
  - B(Protect.) Termination protection (C(DisableApiTermination=true)), stop protection
    (C(DisableApiStop=true)), shutdown behaviour C(stop) (a C(terminate) behaviour bypasses
    termination protection), and C(DeleteOnTermination=false) on every EBS volume; one
    attribute per C(ModifyInstanceAttribute) call. Spot instances refuse termination
    protection; it is skipped with a warning and the rest applies.
  - B(Take out of service.) Detaches the instance from its Auto Scaling group
    (C(DetachInstances), decrementing the desired capacity unless that would fall below the
    group's minimum, in which case it warns that a replacement is launched), then
    deregisters it from every classic ELB and every ELBv2 target group that holds it, by
    instance id or private IP, with the exact port registered.
  - B(Isolate.) Each network interface first gets the C(aws-ir-untrack) group (all traffic
    allowed, so existing flows become untracked) and then the C(aws-ir-quarantine) group of
    its VPC (no inbound rule, egress tcp/443 only, which SSM needs). Both groups are
    created in each VPC where they are missing. An existing C(aws-ir-quarantine) group with
    any inbound rule or any egress other than tcp/443 is refused before any change.
  - Everything is read before the first change, so invalid input changes nothing. The
    state before the change is returned (also when the module fails part-way) so that it
    can be recorded and restored.
  - Idempotent; check mode makes no call and returns the planned actions; diff mode shows
    each instance's state before and after.
author:
  - secops.aws_ir developers (@secops)
options:
  tags:
    description:
      - Additional tags for the instance. They never replace C(IncidentTicket). Existing tags are never removed.
    type: dict
    default: {}
  detach_from_auto_scaling_group:
    description:
      - Whether to detach the instance from its Auto Scaling group.
    type: bool
    default: true
  deregister_from_load_balancers:
    description:
      - Whether to deregister the instance from classic ELBs and ELBv2 target groups.
    type: bool
    default: true
extends_documentation_fragment:
  - secops.aws_ir.targets
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Egress stays open to tcp/443 on 0.0.0.0/0 so the SSM Agent reaches Systems Manager and
    S3; a warning says so.
  - Security groups do not filter the VPC DNS resolver or the instance metadata service.
"""

EXAMPLES = r"""
- name: Contain an instance for INC-123456
  secops.aws_ir.ec2_quarantine:
    instance_ids:
      - i-0123456789abcdef0
    ticket: INC-123456
  register: containment

- name: Show what containment would change, without changing it
  secops.aws_ir.ec2_quarantine:
    instance_ids: "{{ preflight.instance_ids }}"
    ticket: INC-123456
  check_mode: true
  diff: true
"""

RETURN = r"""
instances:
  description: One entry per instance, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: Instance id.
      type: str
      sample: i-0123456789abcdef0
    state_before:
      description:
        - What containment changes, as it was before; what a release restores.
        - C(attributes) holds C(DisableApiTermination) (bool), C(DisableApiStop) (bool) and
          C(InstanceInitiatedShutdownBehavior) (str) from C(DescribeInstanceAttribute).
        - C(delete_on_termination) maps each EBS device name to its C(DeleteOnTermination) flag.
        - C(network_interfaces) lists C(network_interface_id), C(vpc_id) and C(groups) (security group ids).
        - C(auto_scaling) is null or C(group_name), C(lifecycle_state), C(min_size), C(max_size), C(desired_capacity).
        - C(load_balancers) lists classic ELB names; C(target_groups) lists C(target_group_arn),
          C(target_type), C(id), C(port), C(availability_zone) and C(state) of each registration.
      type: dict
    state_after:
      description: The same shape as RV(instances[].state_before), after containment (planned in check mode).
      type: dict
    outcome:
      description: C(status) (C(contained), or C(planned) in check mode) and C(notes), one sentence per step.
      type: dict
    warnings:
      description: What a responder must know about this instance (for example a replacement launched by its group).
      type: list
      elements: str
security_groups:
  description: The groups used in each VPC, keyed by VPC id.
  returned: always
  type: dict
  sample:
    vpc-0abc:
      quarantine_group_id: sg-0123
      untrack_group_id: sg-0456
      created: [aws-ir-untrack, aws-ir-quarantine]
      egress: tcp/443 to 0.0.0.0/0
actions:
  description:
    - Every mutating AWS call made (or planned in check mode), in order, with C(time) (UTC,
      milliseconds), C(stage), C(service), C(action) (AWS API name), C(target), C(instance_ids),
      C(parameters), C(before), C(after), C(outcome) (C(ok), C(planned) or C(error)),
      C(error_code) and C(request_id).
    - Also returned when the module fails.
  returned: always
  type: list
  elements: dict
stage:
  description: The workflow stage, C(containment).
  returned: always
  type: str
"""

from copy import deepcopy

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_CONTAINMENT
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import auto_scaling
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import isolation
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import load_balancers
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import protection
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import describe_instances
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import network_interfaces
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import refuse_gone
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import validate_instance_ids
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import incident_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import ensure_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import validate_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket

HTTPS_OPEN_WARNING = ("quarantine egress is tcp/443 to 0.0.0.0/0 so the SSM Agent keeps working: "
                      "HTTPS to the internet stays open from the contained instances")


class Survey:
    """Everything containment reads before its first change."""

    def __init__(self, clients, instances, params):
        ec2, asg, elb, elbv2 = clients["ec2"], clients["autoscaling"], clients["elb"], clients["elbv2"]
        ids = list(instances)
        self.instances = instances
        self.interfaces = {i: [dict(eni, instance_id=i) for eni in network_interfaces(inst)] for i, inst in instances.items()}
        self.vpc_ids = sorted({eni["vpc_id"] for enis in self.interfaces.values() for eni in enis})
        self.attributes = {i: protection.read_attributes(ec2, i) for i in ids}
        self.devices = {i: protection.delete_on_termination(inst) for i, inst in instances.items()}
        self.memberships, self.asg_groups = {}, {}
        if params["detach_from_auto_scaling_group"]:
            self.memberships = auto_scaling.read_memberships(asg, ids)
            self.asg_groups = auto_scaling.read_groups(asg, [m["group_name"] for m in self.memberships.values()])
        self.classic, self.targets = {}, {}
        if params["deregister_from_load_balancers"]:
            self.classic = load_balancers.read_classic_registrations(elb, ids, self.vpc_ids)
            addresses = {i: [ip for eni in enis for ip in eni["private_ips"]] for i, enis in self.interfaces.items()}
            self.targets = load_balancers.read_target_registrations(elbv2, addresses, self.vpc_ids)
        self.groups = isolation.read_groups(ec2, self.vpc_ids)
        for found in self.groups.values():
            if found[isolation.QUARANTINE]:
                isolation.check_quarantine_group(found[isolation.QUARANTINE])

    def state_before(self, instance_id):
        """The recorded state of one instance (see RETURN state_before)."""
        return {
            "attributes": self.attributes[instance_id],
            "delete_on_termination": self.devices[instance_id],
            "network_interfaces": [{k: eni[k] for k in ("network_interface_id", "vpc_id", "groups")} for eni in self.interfaces[instance_id]],
            "auto_scaling": auto_scaling.state_before(self.memberships, self.asg_groups, instance_id),
            "load_balancers": self.classic.get(instance_id, []),
            "target_groups": self.targets.get(instance_id, []),
        }


def protect(log, client, survey, after, warnings):
    for instance_id, instance in survey.instances.items():
        attributes, devices, notes = protection.protect_instance(
            log, client, instance_id, survey.attributes[instance_id], survey.devices[instance_id], instance.get("InstanceLifecycle") == "spot")
        after[instance_id].update(attributes=attributes, delete_on_termination=devices)
        warnings[instance_id].extend(notes)


def take_out_of_service(log, clients, survey, after, notes, warnings):
    plans, asg_notes = auto_scaling.plan_detach(survey.memberships, survey.asg_groups)
    auto_scaling.detach(log, clients["autoscaling"], plans)
    for plan in plans:
        for instance_id in plan["instance_ids"]:
            after[instance_id]["auto_scaling"] = None
            if not plan["decrement"]:
                warnings[instance_id].append(asg_notes[instance_id])
    for instance_id, note in asg_notes.items():
        notes[instance_id].append(note)
    load_balancers.deregister_classic(log, clients["elb"], survey.classic)
    load_balancers.deregister_targets(log, clients["elbv2"], survey.targets)
    for instance_id in survey.instances:
        removed = len(survey.classic.get(instance_id, [])) + len(survey.targets.get(instance_id, []))
        after[instance_id].update(load_balancers=[], target_groups=[])
        notes[instance_id].append(f"deregistered from {removed} load balancer registration(s)")


def isolate(log, client, survey, after, notes):
    groups = isolation.ensure_groups(log, client, survey.vpc_ids, survey.groups)
    interfaces = [eni for enis in survey.interfaces.values() for eni in enis]
    plans = isolation.plan_interfaces(interfaces, groups)
    isolation.swap_interfaces(log, client, plans)
    for instance_id in survey.instances:
        for eni in after[instance_id]["network_interfaces"]:
            eni["groups"] = [groups[eni["vpc_id"]]["quarantine_group_id"]]
        count = len(after[instance_id]["network_interfaces"])
        notes[instance_id].append(f"{count} network interface(s) in the quarantine group of their VPC (untrack step first)")
    return groups


def do(module):
    params = module.params
    ids = validate_instance_ids(params["instance_ids"])
    ticket = validate_ticket(params["ticket"], pattern=r".+")
    wanted_tags = incident_tags(ticket, validate_tags(params["tags"]))
    clients = {name: module.client(name) for name in ("ec2", "autoscaling", "elb", "elbv2")}

    instances = describe_instances(clients["ec2"], ids)
    refuse_gone(instances)
    survey = Survey(clients, instances, params)
    before = {i: survey.state_before(i) for i in ids}
    module.partial["instances"] = [{"instance_id": i, "state_before": before[i]} for i in ids]

    after = deepcopy(before)
    notes = {i: [] for i in ids}
    warnings = {i: [] for i in ids}
    log = module.actions
    current_tags = {i: boto3_tag_list_to_ansible_dict(inst.get("Tags", [])) for i, inst in instances.items()}
    ensure_tags(log, clients["ec2"], current_tags, wanted_tags, instance_ids=ids)
    protect(log, clients["ec2"], survey, after, warnings)
    take_out_of_service(log, clients, survey, after, notes, warnings)
    groups = isolate(log, clients["ec2"], survey, after, notes)

    status = "planned" if module.check_mode else "contained"
    results = [
        {"instance_id": i, "state_before": before[i], "state_after": after[i],
         "outcome": {"status": status, "notes": notes[i]}, "warnings": warnings[i]}
        for i in ids
    ]
    for warning in [w for i in ids for w in warnings[i]] + [HTTPS_OPEN_WARNING]:
        module.warn(warning)
    result = {"changed": bool(log.records), "instances": results, "security_groups": groups}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": {"instances": before}, "after": {"instances": after}}
    module.exit_json(**result)


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str", required=True),
        ticket=dict(type="str", required=True),
        tags=dict(type="dict", default={}),
        detach_from_auto_scaling_group=dict(type="bool", default=True),
        deregister_from_load_balancers=dict(type="bool", default=True),
    )
    module = AwsIrModule(stage=STAGE_CONTAINMENT, argument_spec=argument_spec, supports_check_mode=True)
    module.run(do, "containment stopped; the actions list says what was changed before the error")


if __name__ == "__main__":
    main()
