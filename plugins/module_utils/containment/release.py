# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Release (ec2_quarantine state=absent): put back exactly what containment recorded.

The recorded state is the ``state_before`` of the first containment, as the
evidence manifest keeps it. Everything is read and checked first: a state that is
missing, that belongs to another instance, or that names a group, an interface or
an address that cannot be put back stops the release before any change. Each
part is compared with what is there now and changed only where it differs, so a
second release changes nothing. Order: Elastic IPs, security groups per
interface, load balancer registrations, Auto Scaling membership (only when
asked), credentials, and the protections last, so the instance stays protected
until everything else is back.
"""

from copy import deepcopy

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import auto_scaling
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import credentials
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import elastic_ips
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import isolation
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import load_balancers
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import protection
from ansible_collections.secops.aws_ir.plugins.module_utils.containment.survey import Survey
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

STATUS_RELEASED = "released"
STATUS_PLANNED = "planned"
FIELD = "recorded_state"


class ReleaseError(AwsIrError, ValueError):
    """A recorded state that cannot be restored; the message names the instance and what is wrong."""


def recorded_states(recorded, instance_ids):
    """{instance_id: recorded state}; ReleaseError for an instance without one, or with one of another instance."""
    states = {}
    for instance_id in instance_ids:
        state = (recorded or {}).get(instance_id)
        if not state:
            raise ReleaseError(f"{FIELD}: no state recorded for {instance_id} (the evidence manifest holds no state_before for it); "
                               "there is nothing to restore it to")
        owner = state.get("instance_id", instance_id)
        if owner != instance_id:
            raise ReleaseError(f"{FIELD}[{instance_id}] is the recorded state of {owner}, not of {instance_id}")
        states[instance_id] = state
    return states


def _check_interfaces(client, states):
    """ReleaseError for a recorded interface that is gone, detached, or attached to another instance; {eni id: interface}."""
    recorded = {eni["network_interface_id"]: i for i, state in states.items() for eni in state["network_interfaces"]}
    found = {}
    if recorded:
        filters = [{"Name": "network-interface-id", "Values": sorted(recorded)}]
        found = {n["NetworkInterfaceId"]: n for n in paginate(client, "describe_network_interfaces", Filters=filters)["NetworkInterfaces"]}
    for eni_id, instance_id in sorted(recorded.items()):
        if eni_id not in found:
            raise ReleaseError(f"{FIELD}[{instance_id}]: network interface {eni_id} no longer exists")
        attached = found[eni_id].get("Attachment", {}).get("InstanceId")
        if attached != instance_id:
            where = f"attached to {attached}" if attached else "not attached to any instance"
            raise ReleaseError(f"{FIELD}[{instance_id}]: network interface {eni_id} is {where}, not to {instance_id}: "
                               "this recorded state does not belong to this instance as it is now")
    return found


def _check_groups(client, states):
    """{group id: name} of the recorded groups; ReleaseError naming any that no longer exists."""
    wanted = sorted({g for state in states.values() for eni in state["network_interfaces"] for g in eni["groups"]})
    if not wanted:
        return {}
    filters = [{"Name": "group-id", "Values": wanted}]
    found = {g["GroupId"]: g["GroupName"] for g in paginate(client, "describe_security_groups", Filters=filters)["SecurityGroups"]}
    for instance_id, state in sorted(states.items()):
        for eni in state["network_interfaces"]:
            missing = [g for g in eni["groups"] if g not in found]
            if missing:
                raise ReleaseError(f"{FIELD}[{instance_id}]: security group(s) {', '.join(missing)} of {eni['network_interface_id']} no longer exist")
    return found


class Release:
    """One release run: what is recorded, what is there now, and per instance what changed.

    clients: {"ec2", "autoscaling", "elb", "elbv2", "iam"}.
    """

    def __init__(self, log, clients, instances, params):
        self.log, self.clients, self.params = log, clients, params
        self.recorded = recorded_states(params["recorded_state"], list(instances))
        ec2 = clients["ec2"]
        _check_interfaces(ec2, self.recorded)
        self.recorded_group_names = _check_groups(ec2, self.recorded)
        self.survey = Survey(clients, instances, auto_scaling_groups=True, load_balancer_registrations=True)
        self.before = {i: self.survey.state(i) for i in instances}
        self.after = deepcopy(self.before)
        self.notes = {i: [] for i in instances}
        self.warnings = {i: [] for i in instances}
        self.not_restored = {i: [] for i in instances}
        recorded_ips = {i: s.get("elastic_ips") or [] for i, s in self.recorded.items()}
        self.address_now = elastic_ips.associations(ec2, [a["allocation_id"] for found in recorded_ips.values() for a in found])
        for instance_id, addresses in recorded_ips.items():
            elastic_ips.check_restorable(instance_id, addresses, self.address_now)
        self.attach_plans, self.attach_groups, attach_notes = {}, {}, {}
        if params["restore_auto_scaling_group"]:
            recorded_groups = {i: s.get("auto_scaling") for i, s in self.recorded.items()}
            self.attach_groups = auto_scaling.read_groups(clients["autoscaling"], [r["group_name"] for r in recorded_groups.values() if r])
            self.attach_plans, attach_notes = auto_scaling.plan_attach(recorded_groups, self.survey.memberships, self.attach_groups)
        for instance_id, note in attach_notes.items():
            self.notes[instance_id].append(note)
        self.profiles = self._recorded_profiles()

    def _recorded_profiles(self):
        """{instance_id: {"arn", "role_names"} or None} of the recorded profiles, checked to exist; absent key: not recorded."""
        recorded = {}
        for instance_id, state in self.recorded.items():
            if "iam_instance_profile" not in state:
                self.notes[instance_id].append("no instance profile recorded (older manifest): credentials left as they are")
                continue
            recorded[instance_id] = (state["iam_instance_profile"] or {}).get("arn")
        return credentials.read_profiles(self.clients["iam"], recorded, lambda instance_id: f"{FIELD}[{instance_id}]")

    # --- the steps, in order ---

    def elastic_ips(self):
        for instance_id, state in self.recorded.items():
            restored = elastic_ips.associate(self.log, self.clients["ec2"], instance_id, state.get("elastic_ips") or [], self.address_now)
            self.after[instance_id]["elastic_ips"] = state.get("elastic_ips") or []
            if restored:
                self.notes[instance_id].append(f"Elastic IP(s) {', '.join(restored)} associated again")

    def security_groups(self):
        plans = []
        for instance_id, state in self.recorded.items():
            current = {eni["network_interface_id"]: eni for eni in self.survey.interfaces[instance_id]}
            for eni in state["network_interfaces"]:
                groups_now = current[eni["network_interface_id"]]["groups"]
                steps = [eni["groups"]] if sorted(groups_now) != sorted(eni["groups"]) else []
                plans.append({"network_interface_id": eni["network_interface_id"], "instance_id": instance_id, "groups_before": groups_now, "steps": steps})
            for extra in sorted(set(current) - {eni["network_interface_id"] for eni in state["network_interfaces"]}):
                self.warnings[instance_id].append(f"{instance_id}: network interface {extra} was attached after containment; its groups are left as they are")
            self.after[instance_id]["network_interfaces"] = [dict(eni, groups=list(eni["groups"])) for eni in state["network_interfaces"]]
        isolation.swap_interfaces(self.log, self.clients["ec2"], plans)
        for instance_id, state in self.recorded.items():
            self.notes[instance_id].append(f"{len(state['network_interfaces'])} network interface(s) back in their recorded groups")

    def _existing(self, instance_id, state):
        """The recorded classic ELB names and target registrations whose load balancer or target group still exists (warns about the others)."""
        arns = {g["TargetGroupArn"] for g in self.survey.target_groups}
        names = [n for n in state.get("load_balancers", []) if n in self.survey.classic_names]
        targets = [t for t in state.get("target_groups", []) if t["target_group_arn"] in arns]
        for gone in sorted(set(state.get("load_balancers", [])) - set(names)) + sorted({t["target_group_arn"] for t in state.get("target_groups", [])} - arns):
            self.warnings[instance_id].append(f"{instance_id}: {gone}, recorded before containment, no longer exists; that registration is not restored")
        return names, targets

    def registrations(self):
        """Register again what was recorded and is not registered now (nor put back by AttachInstances)."""
        classic, targets = {}, {}
        ports = load_balancers.group_ports(self.survey.target_groups)
        for instance_id, state in self.recorded.items():
            names, recorded_targets = self._existing(instance_id, state)
            names = [n for n in names if n not in self.survey.classic.get(instance_id, [])]
            registered = {(t["target_group_arn"], t["id"], t["port"]) for t in self.survey.targets.get(instance_id, [])}
            missing = [t for t in recorded_targets if (t["target_group_arn"], t["id"], t["port"]) not in registered]
            group_name = next((name for name, ids in self.attach_plans.items() if instance_id in ids), None)
            if group_name:
                covered_names, covered = load_balancers.covered_by_auto_scaling(
                    instance_id, self.attach_groups[group_name], {instance_id: names}, {instance_id: missing}, ports)
                names = [n for n in names if n not in covered_names]
                missing = [t for t in missing if t not in covered]
            classic[instance_id], targets[instance_id] = names, missing
            self.after[instance_id].update(load_balancers=state.get("load_balancers", []), target_groups=state.get("target_groups", []))
            self.notes[instance_id].append(f"{len(names) + len(missing)} load balancer registration(s) put back (same ports and zones)")
        load_balancers.register_classic(self.log, self.clients["elb"], classic)
        load_balancers.register_targets(self.log, self.clients["elbv2"], targets)

    def auto_scaling(self):
        auto_scaling.attach(self.log, self.clients["autoscaling"], self.attach_plans)
        for name, instance_ids in self.attach_plans.items():
            for instance_id in instance_ids:
                recorded = self.recorded[instance_id]["auto_scaling"]
                self.after[instance_id]["auto_scaling"] = recorded
                if recorded["desired_capacity"] < self.attach_groups[name]["desired_capacity"] + 1:
                    self.warnings[instance_id].append(
                        f"{instance_id}: Auto Scaling group {name} now wants {self.attach_groups[name]['desired_capacity'] + 1} instances, "
                        f"{recorded['desired_capacity']} before containment (it launched a replacement); its capacity is left to you")
        for instance_id, state in self.recorded.items():
            if state.get("auto_scaling") and not self.params["restore_auto_scaling_group"]:
                self.notes[instance_id].append(f"left out of Auto Scaling group {state['auto_scaling']['group_name']} "
                                               "(restore_auto_scaling_group is false)")
                self.not_restored[instance_id].append(f"not back in its Auto Scaling group {state['auto_scaling']['group_name']} "
                                                      "(restore_auto_scaling_group is false)")

    def credentials(self):
        ec2, iam = self.clients["ec2"], self.clients["iam"]
        for instance_id, profile in self.profiles.items():
            association = self.survey.profiles.get(instance_id)
            credentials.set_profile(self.log, ec2, instance_id, association, profile and profile["arn"])
            self.after[instance_id]["iam_instance_profile"] = {"arn": profile["arn"]} if profile else None
            # A deny policy is only ever put on the role of the profile recorded before containment.
            for role in profile["role_names"] if profile else []:
                if credentials.delete_deny_policy(self.log, iam, instance_id, role):
                    self.notes[instance_id].append(f"deny policy {credentials.deny_policy_name(instance_id)} removed from role {role}")

    def protections(self):
        for instance_id, state in self.recorded.items():
            attributes, warnings = protection.set_attributes(self.log, self.clients["ec2"], instance_id, self.survey.attributes[instance_id],
                                                             state["attributes"], self.survey.spot(instance_id))
            devices = protection.set_delete_on_termination(self.log, self.clients["ec2"], instance_id, self.survey.devices[instance_id],
                                                           state["delete_on_termination"])
            self.after[instance_id].update(attributes=attributes, delete_on_termination=devices)
            self.warnings[instance_id].extend(warnings)
            self.notes[instance_id].append("termination and stop protection, shutdown behaviour and DeleteOnTermination as recorded")

    def outcome(self, instance_id):
        """status, notes, what was not restored (sentences, for the summary) and the state after the release."""
        return {"status": STATUS_PLANNED if self.log.check_mode else STATUS_RELEASED, "notes": self.notes[instance_id],
                "not_restored": self.not_restored[instance_id] + self.warnings[instance_id], "state_after": self.after[instance_id],
                "group_names": self._group_names(instance_id)}

    def _group_names(self, instance_id):
        """{group id: name} of the groups the interfaces had before the release and have after it."""
        names = dict(self.recorded_group_names)
        for eni in self.survey.interfaces[instance_id]:
            names.update(eni["group_names"])
        return names
