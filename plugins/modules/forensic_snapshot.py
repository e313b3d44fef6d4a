#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: forensic_snapshot
version_added: 1.0.0
short_description: Crash-consistent, tagged snapshots of every EBS volume of compromised instances
description:
  - Preserves the disks of each instance with one C(CreateSnapshots) call
    per instance (instance specification), so all its EBS volumes, root included, are
    captured at the same point in time.
  - Snapshots are tagged at creation with C(IncidentTicket=<ticket>), C(Evidence=Yes) and
    C(SourceInstanceId); right after creation each snapshot also gets C(SourceVolumeId) and
    C(SourceDeviceName). The source volumes are tagged C(IncidentTicket=<ticket>).
  - Idempotent. Existing snapshots of this ticket are found by the C(IncidentTicket) tag and
    their C(VolumeId); only volumes without one are snapshotted (a re-run after a partial run
    completes the missing ones). C(SnapshotCreationPerVolumeRateExceeded) and throttling are
    retried with jittered backoff.
  - With O(wait), polls C(DescribeSnapshots) until every snapshot is C(completed); a snapshot
    in the C(error) state fails the module, naming it; a wait that runs out reports the
    snapshots as C(pending) with their C(Progress).
  - Check mode creates nothing and lists the snapshots that would be created.
author:
  - secops.aws_ir developers (@secops)
options:
  description:
    description: Snapshot description. Defaults to C(aws-ir <ticket> evidence of <instance id>).
    type: str
  tags:
    description: Additional tags for the snapshots; never replace the incident tags.
    type: dict
    default: {}
  wait:
    description: Whether to wait for the snapshots to complete.
    type: bool
    default: true
  wait_timeout:
    description: How long to wait, in seconds. A first snapshot of a large volume can take hours.
    type: int
    default: 3600
extends_documentation_fragment:
  - secops.aws_ir.targets
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Snapshot every volume of the instance for INC-123456
  secops.aws_ir.forensic_snapshot:
    instance_ids:
      - i-0123456789abcdef0
    ticket: INC-123456
  register: snapshots
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
    snapshots:
      description:
        - One per EBS volume, with C(snapshot_id), C(volume_id), C(device_name), C(boot) (bool),
          C(state), C(progress), C(start_time), C(volume_size_gib) (GiB), C(encrypted) (bool),
          C(kms_key_id), C(tags) (dict) and C(created) (true when this run created it).
      type: list
      elements: dict
    outcome:
      description: C(status) (C(snapshotted), C(pending) or C(planned)) and C(detail).
      type: dict
actions:
  description: Every C(CreateTags) and C(CreateSnapshots) made or planned, as in M(secops.aws_ir.ec2_quarantine).
  returned: always
  type: list
  elements: dict
stage:
  description: The workflow stage, C(snapshot).
  returned: always
  type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.secops.aws_ir.plugins.module_utils import snapshots as snaps
from ansible_collections.secops.aws_ir.plugins.module_utils.common import EVIDENCE_TAG_KEY
from ansible_collections.secops.aws_ir.plugins.module_utils.common import EVIDENCE_TAG_VALUE
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_SNAPSHOT
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import describe_instances
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import ebs_volumes
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import refuse_gone
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import validate_instance_ids
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import incident_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import ensure_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import validate_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket

# A volume snapshotted moments ago refuses another snapshot for a while; wait and retry.
SNAPSHOT_RETRY = AWSRetry.jittered_backoff(retries=12, delay=1.0, backoff=2.0, max_delay=30,
                                           catch_extra_error_codes=["SnapshotCreationPerVolumeRateExceeded"])


def snapshot_instance(module, client, instance_id, volumes, existing, tags):
    """Create the missing snapshots of one instance; returns its snapshot descriptions (list)."""
    spec = snaps.instance_specification(instance_id, volumes, existing)
    by_volume = {v["volume_id"]: v for v in volumes}
    created = {}
    if spec is not None:
        snapshot_tags = dict(tags, SourceInstanceId=instance_id)
        parameters = {
            "InstanceSpecification": spec,
            "Description": module.params["description"] or f"aws-ir {module.params['ticket']} evidence of {instance_id}",
            "TagSpecifications": boto3_tag_specifications(snapshot_tags, types=["snapshot"]),
        }
        response = module.actions.call(client, "ec2", "CreateSnapshots", instance_id, parameters, instance_ids=[instance_id],
                                       after_from=lambda r: {"snapshots": {s["VolumeId"]: s["SnapshotId"] for s in r["Snapshots"]}})
        for snapshot in (response or {}).get("Snapshots", []):
            created[snapshot["VolumeId"]] = dict(snapshot, Tags=snapshot.get("Tags") or ansible_dict_to_boto3_tag_list(snapshot_tags))
        for volume_id, snapshot in created.items():
            _tag_source(module.actions, client, instance_id, snapshot, by_volume[volume_id])
    return _describe_all(volumes, existing, created, module.check_mode)


def _tag_source(log, client, instance_id, snapshot, volume):
    source = {"SourceVolumeId": volume["volume_id"], "SourceDeviceName": volume["device_name"]}
    tag_list = ansible_dict_to_boto3_tag_list(source)
    log.call(client, "ec2", "CreateTags", snapshot["SnapshotId"], {"Resources": [snapshot["SnapshotId"]], "Tags": tag_list},
             instance_ids=[instance_id], after={"tags": source})
    snapshot["Tags"] = list(snapshot["Tags"]) + tag_list


def _describe_all(volumes, existing, created, check_mode):
    described = []
    for volume in volumes:
        if volume["volume_id"] in existing:
            described.append(dict(snaps.describe(existing[volume["volume_id"]], volume), created=False))
        elif volume["volume_id"] in created:
            described.append(dict(snaps.describe(created[volume["volume_id"]], volume), created=True))
        elif check_mode:
            described.append({"snapshot_id": "(planned)", "volume_id": volume["volume_id"], "device_name": volume["device_name"],
                              "boot": volume["boot"], "state": "planned", "created": True})
    return described


def wait(module, client, results):
    """Refresh state and progress of every snapshot; outcome pending when the wait ran out."""
    ids = [s["snapshot_id"] for r in results for s in r["snapshots"] if s["state"] not in ("completed", "planned")]
    latest = snaps.wait_completed(client, ids, module.params["wait_timeout"]) if ids else {}
    for result in results:
        for snapshot in result["snapshots"]:
            if snapshot["snapshot_id"] in latest:
                snapshot.update(state=latest[snapshot["snapshot_id"]]["State"], progress=latest[snapshot["snapshot_id"]].get("Progress"))
        pending = [s["snapshot_id"] for s in result["snapshots"] if s["state"] == "pending"]
        if pending:
            result["outcome"] = {"status": "pending", "detail": f"still pending when wait_timeout ran out: {', '.join(pending)}"}


def do(module):
    params = module.params
    ids = validate_instance_ids(params["instance_ids"])
    ticket = validate_ticket(params["ticket"], pattern=r".+")
    tags = incident_tags(ticket, validate_tags(params["tags"]))
    tags[EVIDENCE_TAG_KEY] = EVIDENCE_TAG_VALUE
    client = module.client("ec2", retry_decorator=SNAPSHOT_RETRY)

    instances = describe_instances(client, ids)
    refuse_gone(instances)
    volumes = {i: ebs_volumes(inst) for i, inst in instances.items()}
    all_volume_ids = [v["volume_id"] for vols in volumes.values() for v in vols]
    existing = snaps.find_existing(client, ticket, all_volume_ids)
    volume_tags = {v: boto3_tag_list_to_ansible_dict(vol.get("Tags", [])) for v, vol in snaps.describe_volumes(client, all_volume_ids).items()}
    ensure_tags(module.actions, client, volume_tags, incident_tags(ticket), instance_ids=ids)

    status = "planned" if module.check_mode else "snapshotted"
    results = []
    module.partial["instances"] = results  # a failure part-way still reports the snapshots made
    for instance_id in ids:
        described = snapshot_instance(module, client, instance_id, volumes[instance_id], existing, tags)
        results.append({"instance_id": instance_id, "snapshots": described, "outcome": {"status": status, "detail": None}})
    if params["wait"] and not module.check_mode:
        wait(module, client, results)
    module.exit_json(changed=bool(module.actions.records), instances=results)


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str", required=True),
        ticket=dict(type="str", required=True),
        description=dict(type="str"),
        tags=dict(type="dict", default={}),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
    )
    module = AwsIrModule(stage=STAGE_SNAPSHOT, argument_spec=argument_spec, supports_check_mode=True)
    module.run(do, "snapshots stopped; the actions list says which were created")


if __name__ == "__main__":
    main()
