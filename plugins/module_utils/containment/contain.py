# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Containment (ec2_quarantine state=present), in the order that keeps evidence.

Everything is read and validated first (Containment.__init__), so that bad input
changes nothing. Then: protect, credentials (opt-in), take out of service (Auto
Scaling, then load balancers), isolate (untrack step, quarantine step), Elastic
IPs (opt-in). Every Auto Scaling and load balancer change comes before the first
security group change of an instance.
"""

from copy import deepcopy

from ansible_collections.secops.aws_ir.plugins.module_utils.concurrency import each_recorded
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import auto_scaling
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import connection_tracking
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import credentials
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import egress
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import elastic_ips
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import isolation
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import load_balancers
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import original_state
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import protection
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import tracking
from ansible_collections.secops.aws_ir.plugins.module_utils.containment.survey import Survey

STATUS_ISOLATED = "isolated"
STATUS_PLANNED = "planned"


class Containment:
    """One containment run: what was read, what is planned, and per instance what changed, notes and warnings.

    clients: {"ec2", "autoscaling", "elb", "elbv2", "iam"}; params: the module's
    parameters; region: the Region of the instances.
    """

    def __init__(self, log, clients, instances, params, region):
        self.log, self.clients, self.params, self.region = log, clients, params, region
        credentials.refuse_unused_profile(params["credentials"], params["forensic_instance_profile"])
        ec2 = clients["ec2"]
        self.survey = Survey(clients, instances, params["detach_from_auto_scaling_group"], params["deregister_from_load_balancers"])
        vpc_ids = self.survey.vpc_ids
        self.endpoints = egress.read_endpoints(ec2, vpc_ids)
        self.route_tables = tracking.read_route_tables(ec2, vpc_ids)
        self.nlbs = load_balancers.network_load_balancers(clients["elbv2"], self.survey.target_groups)
        self.existing_groups = isolation.read_groups(ec2, vpc_ids)
        self.user_groups = None
        if params["quarantine_group_ids"] is not None:
            self.user_groups = isolation.read_user_groups(ec2, params["quarantine_group_ids"], self.survey.all_interfaces)
        else:
            isolation.check_quarantine_groups(self.existing_groups)
        self.choices = self._egress_choices()
        self.forensic = self.deny_roles = None
        if params["credentials"] == credentials.MODE_INSTANCE_PROFILE:
            self.forensic = credentials.forensic_profile(clients["iam"], params["forensic_instance_profile"])
        elif params["credentials"] == credentials.MODE_DENY_POLICY:
            self.deny_roles = self._deny_roles()
        self.before = {i: dict(self.survey.state(i), connection_tracking=connection_tracking.read(inst)) for i, inst in instances.items()}
        self.after = deepcopy(self.before)
        # What a release restores: the original recorded on the resources by the first containment, else the state now.
        originals = original_state.recorded_states(self.survey)
        self.state_before = {i: original_state.state_before(self.before[i], originals[i]) for i in instances}
        self.notes = {i: [] for i in instances}
        self.warnings = {i: [] for i in instances}
        self.draining = {}
        self.groups = {}
        self.vpc_warnings = {}

    def _egress_choices(self):
        if self.user_groups is not None or not self.survey.vpc_ids:
            return {}
        return egress.choose_each(self.clients["ec2"], self.region, self.endpoints)

    def _deny_roles(self):
        """{instance_id: role name or None}, validated before any change."""
        if not self.params["evidence_bucket"]:
            raise credentials.CredentialsError(f"evidence_bucket is required when credentials is {credentials.MODE_DENY_POLICY}: "
                                               "the deny policy keeps only the upload to it open")
        associated = {i: (self.survey.profiles.get(i) or {}).get("arn") for i in self.survey.instances}
        profiles = credentials.read_profiles(self.clients["iam"], associated, lambda _instance_id: "credentials")
        return {i: profile["role_names"][0] if profile and profile["role_names"] else None for i, profile in profiles.items()}

    def _quarantine_group_ids(self):
        """The groups containment puts interfaces in: ours that exist already, and the responder's."""
        ids = {g["GroupId"] for found in self.existing_groups.values() for g in found.values() if g}
        if self.user_groups is not None:
            ids.update(self.user_groups[1])
        return ids

    # --- the steps, in order ---

    def record_original_state(self):
        """Before any other change: each instance's and interface's original state as tags, once (original_state.py)."""
        for instance_id, warnings in original_state.record(self.log, self.clients["ec2"], self.survey, self._quarantine_group_ids()).items():
            self.warnings[instance_id].extend(warnings)

    def protect(self):
        """Each instance's protections, the instances concurrently (their attributes one call at a time, in order)."""
        survey = self.survey

        def protect_one(log, instance_id):
            return protection.protect_instance(log, self.clients["ec2"], instance_id, survey.attributes[instance_id], survey.devices[instance_id],
                                               survey.spot(instance_id))
        for instance_id, (attributes, devices, warnings) in zip(survey.instances, each_recorded(self.log, protect_one, survey.instances)):
            self.after[instance_id].update(attributes=attributes, delete_on_termination=devices)
            self.warnings[instance_id].extend(warnings)

    def contain_credentials(self):
        mode = self.params["credentials"]
        for instance_id in self.survey.instances:
            if mode == credentials.MODE_INSTANCE_PROFILE:
                credentials.set_profile(self.log, self.clients["ec2"], instance_id, self.survey.profiles.get(instance_id), self.forensic["arn"])
                self.after[instance_id]["iam_instance_profile"] = {"arn": self.forensic["arn"]}
                self.notes[instance_id].append(f"instance profile replaced by {self.forensic['arn']}; credentials issued before stay valid until they expire")
            elif mode == credentials.MODE_DENY_POLICY:
                self._deny(instance_id)

    def _deny(self, instance_id):
        role = self.deny_roles[instance_id]
        if role is None:
            self.notes[instance_id].append("no instance profile role: no role credentials to contain")
            return
        arn = credentials.instance_arn(self.survey.profiles[instance_id]["arn"], self.region, instance_id)
        document = credentials.deny_policy_document(arn, self.params["evidence_bucket"], self.params["ticket"], self.region)
        credentials.put_deny_policy(self.log, self.clients["iam"], instance_id, role, document)
        self.after[instance_id]["deny_policy"] = {"role_name": role, "policy_name": credentials.deny_policy_name(instance_id)}
        self.notes[instance_id].append(f"role {role} denies every request signed with this instance's credentials "
                                       f"({credentials.deny_policy_name(instance_id)}) except the SSM Agent's and the evidence upload")

    def take_out_of_service(self):
        survey = self.survey
        plans, asg_notes, asg_warnings = auto_scaling.plan_detach(survey.memberships, survey.asg_groups)
        undecremented = auto_scaling.detach(self.log, self.clients["autoscaling"], plans)
        asg_notes.update(undecremented)
        asg_warnings.update(undecremented)
        classic, targets = deepcopy(survey.classic), deepcopy(survey.targets)
        ports = load_balancers.group_ports(survey.target_groups)
        for plan in plans:
            group = survey.asg_groups[plan["group_name"]]
            for instance_id in plan["instance_ids"]:
                self.after[instance_id]["auto_scaling"] = None
                names, covered = load_balancers.covered_by_auto_scaling(instance_id, group, survey.classic, survey.targets, ports)
                classic[instance_id] = [n for n in classic.get(instance_id, []) if n not in names]
                targets[instance_id] = [t for t in targets.get(instance_id, []) if t not in covered]
        for instance_id, note in asg_notes.items():
            self.notes[instance_id].append(note)
        for instance_id, warning in asg_warnings.items():
            self.warnings[instance_id].append(warning)
        load_balancers.deregister_classic(self.log, self.clients["elb"], classic)
        load_balancers.deregister_targets(self.log, self.clients["elbv2"], targets)
        self._report_draining()

    def _report_draining(self):
        survey = self.survey
        for instance_id in survey.instances:
            self.after[instance_id].update(load_balancers=[], target_groups=[])
            removed = len(survey.classic.get(instance_id, [])) + len(survey.targets.get(instance_id, []))
            self.notes[instance_id].append(f"deregistered from {removed} load balancer registration(s)")
        if self.log.check_mode or not survey.targets:
            return
        if self.params["wait"]:
            load_balancers.wait_deregistered(self.clients["elbv2"], survey.targets, self.params["wait_timeout"])
        self.draining = load_balancers.draining(self.clients["elbv2"], survey.targets)
        for instance_id, targets in self.draining.items():
            self.notes[instance_id].append(f"{len(targets)} target registration(s) still draining (not waited for: wait is false)")

    def isolate(self):
        survey = self.survey
        self.groups, self.vpc_warnings = isolation.ensure_groups(
            self.log, self.clients["ec2"], survey.vpc_ids, self.existing_groups, self.choices, self.user_groups)
        plans = isolation.plan_interfaces(survey.all_interfaces, self.groups)
        isolation.swap_interfaces(self.log, self.clients["ec2"], plans)
        for instance_id, instance in survey.instances.items():
            self.after[instance_id]["connection_tracking"], refused = connection_tracking.shorten(
                self.log, self.clients["ec2"], instance_id, self.before[instance_id]["connection_tracking"], instance.get("InstanceType"))
            self.warnings[instance_id] += refused
        for instance_id in survey.instances:
            for eni in self.after[instance_id]["network_interfaces"]:
                eni["groups"] = self.groups[eni["vpc_id"]]["quarantine_group_ids"]
            count = len(self.after[instance_id]["network_interfaces"])
            self.notes[instance_id].append(f"{count} network interface(s) in the quarantine group(s) of their VPC (untrack step first)")

    def take_elastic_ips(self):
        if not self.params["disassociate_elastic_ips"]:
            return
        ec2 = self.clients["ec2"]
        current = elastic_ips.associations(ec2, [a["allocation_id"] for found in self.survey.addresses.values() for a in found])
        for instance_id in self.survey.instances:
            taken = elastic_ips.disassociate(self.log, ec2, instance_id, self.survey.addresses.get(instance_id, []), current)
            self.after[instance_id]["elastic_ips"] = []
            if taken:
                self.notes[instance_id].append(f"Elastic IP(s) {', '.join(taken)} disassociated (still allocated, recorded for release)")

    # --- the result ---

    def warnings_of(self, instance_id):
        """Every warning about this instance: its own, its VPCs' egress and groups, and the flows that stay tracked."""
        vpcs = sorted({eni["vpc_id"] for eni in self.survey.interfaces[instance_id]})
        found = list(self.warnings[instance_id])
        found += [w for v in vpcs for w in self.vpc_warnings.get(v, [])]
        found += [egress.https_open_warning(v, self.choices[v]) for v in vpcs if self.choices.get(v, {}).get("mode") == egress.MODE_HTTPS_ANYWHERE]
        lasting = connection_tracking.lasting(self.after[instance_id]["connection_tracking"])
        tracked = tracking.warning(instance_id, self.tracked_paths(instance_id), lasting)
        return found + [tracked] if tracked else found

    def tracked_paths(self, instance_id):
        nlb_targets = [f"{name} (target group {t['target_group_arn']})" for t in self.survey.targets.get(instance_id, [])
                       for name in self.nlbs.get(t["target_group_arn"], [])]
        return tracking.tracked_paths(self.survey.interfaces[instance_id], self.route_tables, self.endpoints, nlb_targets)

    def group_names(self, instance_id):
        """{security group id: name} of the groups the instance's interfaces had before and have after, so people read names."""
        names = {}
        for eni in self.survey.interfaces[instance_id]:
            names.update(eni["group_names"])
            resolved = self.groups.get(eni["vpc_id"])
            if resolved:
                described = self.user_groups[1] if self.user_groups else {}
                names[resolved["untrack_group_id"]] = isolation.GROUP_NAMES[isolation.UNTRACK]
                names.update((g, described[g]["GroupName"] if g in described else isolation.GROUP_NAMES[isolation.QUARANTINE])
                             for g in resolved["quarantine_group_ids"])
        return names

    def outcome(self, instance_id):
        vpcs = sorted({eni["vpc_id"] for eni in self.survey.interfaces[instance_id]})
        return {
            "status": STATUS_PLANNED if self.log.check_mode else STATUS_ISOLATED,
            # A group swap never ends the flows AWS tracks automatically: containment is not reported complete.
            "containment_complete": False,
            "notes": self.notes[instance_id],
            "tracked_paths": self.tracked_paths(instance_id),
            "egress": {v: self.groups[v]["egress"] for v in vpcs if v in self.groups},
            "draining": self.draining.get(instance_id, []),
            "group_names": self.group_names(instance_id),
            # What the instance looks like after containment, beside state_before, for the summary and the report.
            "state_after": self.after[instance_id],
        }
