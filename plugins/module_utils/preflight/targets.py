# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The instances a response acts on, as the preflight finds and describes them."""

from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import describe_instances
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import find_instances_by_ticket
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import network_interfaces
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import refuse_gone
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import validate_instance_ids
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import tags_of
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_reachability import volatile_capture
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import refuse_other_tickets
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import ticket_tag_values


def resolve_targets(client, instance_ids, ticket, field="instance_ids"):
    """{instance_id: instance} of the targets (ticket: the raw ticket); TargetError naming field when none can be used."""
    if instance_ids is not None:
        instances = describe_instances(client, validate_instance_ids(instance_ids, field=field), field=field)
    else:
        values = ticket_tag_values(ticket)
        instances = find_instances_by_ticket(client, values)
        if not instances:
            tagged = " or ".join(f"IncidentTicket={value}" for value in values)
            raise NotFoundError(f"no instance tagged {tagged} found in {{where}}: tag the instance or give instance_ids")
    refuse_gone(instances, field=field)
    refuse_other_tickets({i: tags_of(instance) for i, instance in instances.items()}, ticket)
    return instances


def describe_target(instance, ssm):
    return {
        "instance_id": instance["InstanceId"],
        "state": instance["State"]["Name"],
        "platform": "windows" if instance.get("Platform") == "windows" else "linux",
        "spot": instance.get("InstanceLifecycle") == "spot",
        "vpc_ids": sorted({eni["vpc_id"] for eni in network_interfaces(instance) if eni["vpc_id"]}),
        "ssm": ssm,
        "volatile_capture": volatile_capture(instance["State"]["Name"], ssm),
    }
