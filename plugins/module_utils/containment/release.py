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

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import took_effect
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import auto_scaling
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import credentials
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import elastic_ips
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import isolation
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import load_balancers
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import original_state
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import protection
from ansible_collections.secops.aws_ir.plugins.module_utils.containment.survey import Survey
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

STATUS_RELEASED = "released"
STATUS_PLANNED = "planned"
STATUS_UNCHANGED = "unchanged"
FIELD = "recorded_state"
SOURCE_MANIFEST = "evidence manifest"
SOURCE_TAGS = "original-state tags"


class ReleaseError(AwsIrError, ValueError):
    """A recorded state that cannot be restored; the message names the instance and what is wrong."""


def manifest_states(recorded, instance_ids):
    """{instance_id: state_before} of the instances the evidence manifest holds one for; ReleaseError for one of another instance."""
    states = {}
    for instance_id in instance_ids:
        state = (recorded or {}).get(instance_id)
        if not state:
            continue
        owner = state.get("instance_id", instance_id)
        if owner != instance_id:
            raise ReleaseError(f"{FIELD}[{instance_id}] is the recorded state of {owner}, not of {instance_id}")
        states[instance_id] = state
    return states


def _describe_groups(client, states):
    """{group id: group (boto3 shape)} of every group the states' interfaces name that still exists."""
    wanted = sorted({g for state in states for eni in state["network_interfaces"] for g in eni["groups"]})
    if not wanted:
        return {}
    return {g["GroupId"]: g for g in paginate(client, "describe_security_groups", Filters=[{"Name": "group-id", "Values": wanted}])["SecurityGroups"]}


def _quarantine_groups_in(state, groups):
    """The collection's own groups (aws-ir-quarantine, aws-ir-untrack, or tagged as such) that the state puts an interface in."""
    return sorted({g for eni in state["network_interfaces"] for g in eni["groups"] if g in groups and (
        groups[g]["GroupName"] in isolation.GROUP_NAMES.values() or any(isolation.made_by_us(groups[g], role) for role in isolation.GROUP_NAMES))})


def _comparable(state):
    """What a release restores, field by field, in a form that compares (state_before shape)."""
    return {
        "attributes": state.get("attributes"),
        "delete_on_termination": state.get("delete_on_termination"),
        "network_interfaces": {e["network_interface_id"]: sorted(e["groups"]) for e in state.get("network_interfaces") or []},
        "auto_scaling": (state.get("auto_scaling") or {}).get("group_name"),
        "load_balancers": sorted(state.get("load_balancers") or []),
        "target_groups": sorted((t["target_group_arn"], t["id"], t["port"]) for t in state.get("target_groups") or []),
        "elastic_ips": sorted(a["allocation_id"] for a in state.get("elastic_ips") or []),
        "iam_instance_profile": (state.get("iam_instance_profile") or {}).get("arn"),
    }


def _differences(first, second):
    """The fields (and interfaces) in which two states differ."""
    a, b = _comparable(first), _comparable(second)
    found = [f"groups of {eni}" for eni in sorted(set(a["network_interfaces"]) & set(b["network_interfaces"]))
             if a["network_interfaces"][eni] != b["network_interfaces"][eni]]
    return found + [key for key in a if key != "network_interfaces" and a[key] != b[key]]


def _recorded_while_contained(manifest, tags, now):
    """The fields the manifest records as they are now, where the original-state tags, written before containment, record otherwise."""
    return [f for f in _differences(manifest, tags) if f not in _differences(manifest, now)]


def choose(instance_id, manifest, tags, now, groups):
    """(the state to restore, where it was recorded, notes, warnings); ReleaseError when nothing records a state that is not a quarantine state.

    The evidence manifest's state_before is used unless it is missing or is itself a
    quarantine state: an interface in one of the collection's groups, or a value that the
    original-state tags record otherwise and that the instance has now (the manifest
    recorded it after another containment). Then the original-state tags are used.
    """
    notes, warnings = [], []
    if manifest is not None:
        contained = [f"interfaces in {', '.join(found)}" for found in [_quarantine_groups_in(manifest, groups)] if found]
        contained += _recorded_while_contained(manifest, tags, now) if tags is not None else []
        if not contained:
            if tags is not None and _differences(manifest, tags):
                warnings.append(f"{instance_id}: its original-state tags differ from the evidence manifest's state_before "
                                f"({', '.join(_differences(manifest, tags))}); the manifest's is restored")
            return manifest, SOURCE_MANIFEST, notes, warnings
        why = f"the evidence manifest's state_before of {instance_id} is itself a quarantine state ({'; '.join(contained)})"
        if tags is None:
            raise ReleaseError(f"{FIELD}[{instance_id}]: {why}, and the instance carries no original-state tags ({original_state.PREFIX}*): "
                               "nothing records its state before containment, so it is not released; restore it by hand")
        notes.append(f"{why}: restored from the original-state tags instead")
    elif tags is not None:
        notes.append("the evidence manifest holds no state_before for it: restored from its original-state tags")
    else:
        raise ReleaseError(f"{FIELD}: no state recorded for {instance_id}: neither the evidence manifest (state_before) nor the instance's "
                           f"original-state tags ({original_state.PREFIX}*) hold one; there is nothing to restore it to")
    found = _quarantine_groups_in(tags, groups)
    if found:
        raise ReleaseError(f"{FIELD}[{instance_id}]: its original-state tags put its interfaces in {', '.join(found)}, a quarantine state: "
                           "it is not released; restore it by hand")
    return tags, SOURCE_TAGS, notes, warnings


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


def _check_groups(states, found):
    """ReleaseError for a group to put back that no longer exists; found: the groups that exist (_describe_groups)."""
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
        ec2 = clients["ec2"]
        manifest = manifest_states(params["recorded_state"], list(instances))
        self.survey = Survey(clients, instances, auto_scaling_groups=True, load_balancer_registrations=True)
        self.before = {i: self.survey.state(i) for i in instances}
        self.after = deepcopy(self.before)
        self.notes = {i: [] for i in instances}
        self.warnings = {i: [] for i in instances}
        self.not_restored = {i: [] for i in instances}
        tagged = original_state.recorded_states(self.survey)
        groups = _describe_groups(ec2, list(manifest.values()) + [t for t in tagged.values() if t])
        self.recorded, self.sources = {}, {}
        for instance_id in instances:
            self._choose(instance_id, manifest.get(instance_id), tagged[instance_id], groups)
        _check_interfaces(ec2, self.recorded)
        _check_groups(self.recorded, groups)
        self.recorded_group_names = {g: group["GroupName"] for g, group in groups.items()}
        self.address_now = self._check_elastic_ips()
        self.attach_plans, self.attach_groups = self._plan_attach() if params["restore_auto_scaling_group"] else ({}, {})
        self.profiles = self._recorded_profiles()

    def _choose(self, instance_id, from_manifest, from_tags, groups):
        """Which recorded state of the instance the release restores (choose), with its notes and warnings."""
        state, self.sources[instance_id], notes, warnings = choose(instance_id, from_manifest, from_tags, self.before[instance_id], groups)
        self.recorded[instance_id] = dict(state, instance_id=instance_id)
        self.notes[instance_id] += notes
        self.warnings[instance_id] += warnings

    def _check_elastic_ips(self):
        """The recorded Elastic IPs' associations now, each checked to be restorable."""
        recorded_ips = {i: s.get("elastic_ips") or [] for i, s in self.recorded.items()}
        address_now = elastic_ips.associations(self.clients["ec2"], [a["allocation_id"] for found in recorded_ips.values() for a in found])
        for instance_id, addresses in recorded_ips.items():
            elastic_ips.check_restorable(instance_id, addresses, address_now)
        return address_now

    def _plan_attach(self):
        """(attach plans, the recorded Auto Scaling groups as they are now), the plan's notes added to the instances'."""
        recorded_groups = {i: s.get("auto_scaling") for i, s in self.recorded.items()}
        attach_groups = auto_scaling.read_groups(self.clients["autoscaling"], [r["group_name"] for r in recorded_groups.values() if r])
        attach_plans, attach_notes = auto_scaling.plan_attach(recorded_groups, self.survey.memberships, attach_groups)
        for instance_id, note in attach_notes.items():
            self.notes[instance_id].append(note)
        return attach_plans, attach_groups

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

    def forget_original_state(self):
        """Last, once everything is back: delete the original-state tags, so that a later containment records afresh."""
        if original_state.forget(self.log, self.clients["ec2"], self.survey):
            for instance_id in self.survey.instances:
                self.notes[instance_id].append(f"original-state tags ({original_state.PREFIX}*) deleted")

    def outcome(self, instance_id):
        """status released (planned in check mode), or unchanged when nothing had to be put back; notes, what was not
        restored (sentences, for the summary), the state after the release and where the restored state was recorded."""
        restored = any(instance_id in r["instance_ids"] and r["action"] != "DeleteTags" and took_effect(r) for r in self.log.records)
        notes = list(self.notes[instance_id])
        if not restored:
            notes.insert(0, "nothing to restore: every interface, registration and attribute is already as recorded before containment")
        found = {"status": (STATUS_PLANNED if self.log.check_mode else STATUS_RELEASED) if restored else STATUS_UNCHANGED,
                 "notes": notes, "restored_from": self.sources[instance_id],
                 "not_restored": self.not_restored[instance_id] + self.warnings[instance_id], "state_after": self.after[instance_id],
                 "group_names": self._group_names(instance_id)}
        if self.sources[instance_id] == SOURCE_TAGS:
            found["recorded_state"] = self.recorded[instance_id]  # the manifest gets the state a release used when it did not hold it
        return found

    def _group_names(self, instance_id):
        """{group id: name} of the groups the interfaces had before the release and have after it."""
        names = dict(self.recorded_group_names)
        for eni in self.survey.interfaces[instance_id]:
            names.update(eni["group_names"])
        return names
