#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: analysis_volume
version_added: 1.0.0
short_description: Attach volumes made from forensic snapshot copies to an analysis instance
description:
  - Runs in the forensic account, with its credentials, after M(secops.aws_ir.forensic_snapshot)
    shared its copies with that account.
  - For each snapshot, creates a volume (C(CreateVolume)) in the Availability Zone of the analysis
    instance, tagged at creation with C(IncidentTicket), C(Evidence=Yes), C(SourceSnapshotId) and
    C(AnalysisInstanceId), waits until it is C(available), attaches it (C(AttachVolume)) at the
    first free device name from C(/dev/sdf) to C(/dev/sdp), and waits until it is attached.
  - Every input is checked before the first change. The snapshots must be C(completed) and
    visible to this account (owned, or shared with it); the analysis instance must exist and not
    be terminated.
  - Idempotent. Volumes made earlier are found by their snapshot and their C(IncidentTicket) and
    C(AnalysisInstanceId) tags; a volume already attached to the instance is left as it is, one
    not yet attached is attached, and no second volume is made.
  - Check mode makes nothing and lists the volumes and attachments that would be made.
  - The volume is attached read-write at the block level, as EBS has no read-only attachment;
    mount its file systems read-only (see the collection's disk evidence guide, C(docs/docsite/rst/disk_evidence.rst)) so the analysis changes nothing.
author:
  - secops.aws_ir developers (@secops)
options:
  snapshot_ids:
    description:
      - The snapshots to make volumes from, usually the copies shared with this account
        (C(copies[].snapshot_id) of M(secops.aws_ir.forensic_snapshot), in the evidence manifest).
    type: list
    elements: str
    required: true
  instance_id:
    description: The analysis instance, in this account, the volumes are attached to.
    type: str
    required: true
  ticket:
    description:
      - The incident ticket. Its normalised form (as in the evidence manifest's C(ticket.normalized)) is
        written in the volumes' C(IncidentTicket) tag.
    type: str
    required: true
  kms_key_id:
    description:
      - A KMS key of this account to encrypt the volumes with (C(Encrypted=true), C(KmsKeyId)).
        Without it a volume keeps the snapshot's encryption.
    type: str
  volume_type:
    description: The EBS volume type of the analysis volumes.
    type: str
    default: gp3
    choices: [gp3, gp2]
  tags:
    description:
      - Additional tags for the volumes; never replace the incident tags.
      - AWS stores tag keys and values as text; a value of another type is stored as amazon.aws's modules store it
        (V(1) as C(1), V(true) as C(True), V(null) as C(None)), so a re-run finds it and tags nothing.
    type: dict
    default: {}
  wait_timeout:
    description: How long to wait for each volume to become available, and then attached, in seconds.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Needs C(ec2:DescribeInstances), C(ec2:DescribeSnapshots), C(ec2:DescribeVolumes),
    C(ec2:CreateVolume), C(ec2:CreateTags) (for tags at creation) and C(ec2:AttachVolume) in this
    account, and the use of the KMS key the shared copy is encrypted with (granted by its key policy).
"""

EXAMPLES = r"""
- name: Attach the forensic copies of INC-123456 to the analysis workstation
  secops.aws_ir.analysis_volume:
    snapshot_ids:
      - snap-0123456789abcdef0
      - snap-0fedcba9876543210
    instance_id: i-0aaaabbbbccccdddd
    ticket: INC-123456
  register: analysis
"""

RETURN = r"""
attachments:
  description: One entry per snapshot, in the order given.
  returned: always
  type: list
  elements: dict
  sample:
    - snapshot_id: snap-0123456789abcdef0
      volume_id: vol-0aaaabbbbccccdddd
      availability_zone: eu-west-1a
      size_gib: 8
      encrypted: true
      kms_key_id: arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
      state: in-use
      instance_id: i-0aaaabbbbccccdddd
      device_name: /dev/sdf
      attachment_state: attached
      attach_time: '2026-11-30T09:12:44+00:00'
      created: true
  contains:
    snapshot_id:
      description: The snapshot the volume was made from.
      type: str
      sample: snap-0123456789abcdef0
    volume_id:
      description: The analysis volume (C((planned)) in check mode).
      type: str
      sample: vol-0aaaabbbbccccdddd
    availability_zone:
      description: The volume's Availability Zone, the analysis instance's.
      type: str
      sample: eu-west-1a
    size_gib:
      description: Size in GiB.
      type: int
      sample: 8
    encrypted:
      description: Whether the volume is encrypted.
      type: bool
      sample: true
    kms_key_id:
      description: The key ARN the volume is encrypted with.
      type: str
      sample: arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
    state:
      description: The volume state from C(DescribeVolumes) (C(in-use) once attached; C(planned) in check mode).
      type: str
      sample: in-use
    instance_id:
      description: The analysis instance.
      type: str
      sample: i-0aaaabbbbccccdddd
    device_name:
      description: The device name the volume is attached at.
      type: str
      sample: /dev/sdf
    attachment_state:
      description: The attachment state (C(attached)).
      type: str
      sample: attached
    attach_time:
      description: When it was attached, ISO 8601.
      type: str
      sample: '2026-11-30T09:12:44+00:00'
    created:
      description: Whether this run made the volume.
      type: bool
      sample: true
instances:
  description: Always empty; the evidence manifest records this stage through its actions.
  returned: always
  type: list
  elements: dict
  sample: []
actions:
  description:
    - Every C(CreateVolume) and C(AttachVolume) made or planned.
  returned: always
  type: list
  elements: dict
  sample:
    - time: '2026-11-29T20:15:02.481Z'
      stage: analysis
      service: ec2
      action: AttachVolume
      target: vol-0aaaabbbbccccdddd
      instance_ids: []
      parameters:
        VolumeId: vol-0aaaabbbbccccdddd
        InstanceId: i-0aaaabbbbccccdddd
        Device: /dev/sdf
      before: null
      after:
        instance_id: i-0aaaabbbbccccdddd
        device_name: /dev/sdf
      outcome: ok
      error_code: null
      request_id: 8c7a3e52-4f0b-4d7e-9b3a-1e2f3a4b5c6d
  contains:
    time:
      description: When the call was made (or planned), UTC, ISO 8601 with milliseconds.
      type: str
      sample: "2026-11-29T20:15:02.481Z"
    stage:
      description: The workflow stage that made the call.
      type: str
      sample: analysis
    service:
      description: The AWS service, as in IAM action names.
      type: str
      sample: ec2
    action:
      description: The AWS API name.
      type: str
      sample: AttachVolume
    target:
      description: The resource the call changes (an id, an ARN or an C(s3://) URI).
      type: str
      sample: vol-0aaaabbbbccccdddd
    instance_ids:
      description: The target instances the call concerns; empty for a shared resource.
      type: list
      elements: str
      sample: []
    parameters:
      description: The parameters sent, each secret replaced by C(<redacted>).
      type: dict
      sample: {Device: /dev/sdf, InstanceId: i-0aaaabbbbccccdddd, VolumeId: vol-0aaaabbbbccccdddd}
    before:
      description: What the call changes, as it was before; null when there was nothing.
      type: raw
      sample: null
    after:
      description: What the call changes, as it is after (for a create, what AWS made); null when nothing is left.
      type: raw
      sample: {device_name: /dev/sdf, instance_id: i-0aaaabbbbccccdddd}
    outcome:
      description: C(ok), C(planned) (check mode) or C(error).
      type: str
      sample: ok
    error_code:
      description: The AWS error code of a refused call (the botocore exception's name when AWS did not answer), else null.
      type: str
      sample: null
    request_id:
      description: The AWS request id of the answer; null in check mode.
      type: str
      sample: 8c7a3e52-4f0b-4d7e-9b3a-1e2f3a4b5c6d
stage:
  description: The workflow stage, C(analysis).
  returned: always
  type: str
  sample: analysis"""

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.secops.aws_ir.plugins.module_utils.analysis import analysis
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_ANALYSIS
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import describe_instances
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import refuse_gone
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import validate_instance_ids
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import poll
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.snapshots import describe_volumes
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import validate_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import normalize_ticket
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket

PLANNED = "(planned)"
_WAIT_DELAY = 5


def create_volume(module, client, snapshot, zone, ticket, instance_id):
    """CreateVolume from a snapshot in the analysis instance's zone; the new volume (boto3 shape), or a planned one."""
    params = module.params
    parameters = {
        "SnapshotId": snapshot["SnapshotId"],
        "AvailabilityZone": zone,
        "VolumeType": params["volume_type"],
        "TagSpecifications": boto3_tag_specifications(
            analysis.volume_tags(ticket, snapshot["SnapshotId"], instance_id, params["tags"]), types=["volume"]),
    }
    if params["kms_key_id"]:
        parameters.update(Encrypted=True, KmsKeyId=params["kms_key_id"])
    response = module.actions.call(client, "ec2", "CreateVolume", snapshot["SnapshotId"], parameters,
                                   after_from=lambda r: {"volume_id": r["VolumeId"], "availability_zone": zone})
    return response or {"VolumeId": PLANNED, "State": "planned", "AvailabilityZone": zone, "Size": snapshot.get("VolumeSize"),
                        "Encrypted": bool(params["kms_key_id"] or snapshot.get("Encrypted")), "Attachments": []}


def wait_for(client, state, volume_ids, timeout):
    """Wait until every volume is in state (available, in-use), reading DescribeVolumes every 5 s; AnalysisError naming the volumes when it gives up."""
    if not volume_ids:
        return
    volumes, reached = poll(lambda: describe_volumes(client, volume_ids), lambda found: all(found.get(v, {}).get("State") == state for v in volume_ids),
                            timeout, _WAIT_DELAY)
    if not reached:
        states = ", ".join(f"{v} ({volumes[v]['State'] if v in volumes else 'not found'})" for v in volume_ids)
        raise analysis.AnalysisError(f"volumes not {state} within {timeout} s: {states}")


def refuse_attached_elsewhere(volumes, instance_id):
    for snapshot_id, volume in volumes.items():
        others = [a["InstanceId"] for a in volume.get("Attachments", []) if a["InstanceId"] != instance_id]
        if others:
            raise analysis.AnalysisError(f"volume {volume['VolumeId']} (from {snapshot_id}) is attached to {', '.join(others)}, "
                                         f"not to the analysis instance {instance_id}; detach it first")


def read_plan(module, client, ticket, instance_id, snapshot_ids):
    """Read everything before the first change: (zone, snapshots, volumes made earlier, snapshots to attach, free devices)."""
    instances = describe_instances(client, [instance_id], field="instance_id")
    refuse_gone(instances, field="instance_id")
    snapshots = analysis.describe_snapshots(client, snapshot_ids, module.region)
    volumes = analysis.find_volumes(client, ticket, snapshot_ids, instance_id)
    refuse_attached_elsewhere(volumes, instance_id)
    devices = analysis.free_devices(instances[instance_id])
    to_attach = [s for s in snapshot_ids if s not in volumes or analysis.attachment_of(volumes[s], instance_id) is None]
    if len(to_attach) > len(devices):
        raise analysis.AnalysisError(f"instance_id: {instance_id} has {len(devices)} free device name(s) of {analysis.DEVICE_NAMES[0]}.."
                                     f"{analysis.DEVICE_NAMES[-1]} for {len(to_attach)} volume(s)")
    return instances[instance_id]["Placement"]["AvailabilityZone"], snapshots, volumes, list(zip(to_attach, devices))


def attach(module, client, volumes, instance_id, attach_plan):
    """AttachVolume for each (snapshot id, device) of attach_plan, then wait; returns the volumes as they are now."""
    timeout = module.params["wait_timeout"]
    if not module.check_mode:
        wait_for(client, "available", [volumes[s]["VolumeId"] for s, _device in attach_plan], timeout)
    for snapshot_id, device in attach_plan:
        volume_id = volumes[snapshot_id]["VolumeId"]
        module.actions.call(client, "ec2", "AttachVolume", volume_id, {"VolumeId": volume_id, "InstanceId": instance_id, "Device": device},
                            after={"instance_id": instance_id, "device_name": device})
        volumes[snapshot_id]["Attachments"] = [{"InstanceId": instance_id, "Device": device, "State": "planned"}]
    if module.check_mode:
        return volumes
    wait_for(client, "in-use", [volumes[s]["VolumeId"] for s, _device in attach_plan], timeout)
    now = describe_volumes(client, [v["VolumeId"] for v in volumes.values()])
    return {s: now[v["VolumeId"]] for s, v in volumes.items()}


def do(module):
    params = module.params
    ticket = normalize_ticket(validate_ticket(params["ticket"], pattern=r".+"))
    instance_id = validate_instance_ids([params["instance_id"]], field="instance_id")[0]
    snapshot_ids = analysis.validate_snapshot_ids(params["snapshot_ids"])
    params["tags"] = validate_tags(params["tags"])  # as AWS stores them, for the volumes' TagSpecifications
    client = module.client("ec2")
    zone, snapshots, volumes, attach_plan = read_plan(module, client, ticket, instance_id, snapshot_ids)

    created = [s for s in snapshot_ids if s not in volumes]
    attachments = []
    module.partial.update(attachments=attachments, instances=[])  # a failure part-way still reports the volumes made
    for snapshot_id in created:
        volumes[snapshot_id] = create_volume(module, client, snapshots[snapshot_id], zone, ticket, instance_id)
        attachments.append(analysis.describe(volumes[snapshot_id], snapshot_id, instance_id, created=True))
    volumes = attach(module, client, volumes, instance_id, attach_plan)
    attachments[:] = [analysis.describe(volumes[s], s, instance_id, created=s in created) for s in snapshot_ids]
    changed = module.actions.changed
    module.exit_json(changed=changed, attachments=attachments, instances=[])


def main():
    argument_spec = dict(
        snapshot_ids=dict(type="list", elements="str", required=True),
        instance_id=dict(type="str", required=True),
        ticket=dict(type="str", required=True),
        kms_key_id=dict(type="str"),
        volume_type=dict(type="str", default="gp3", choices=["gp3", "gp2"]),
        tags=dict(type="dict", default={}),
        wait_timeout=dict(type="int", default=600),
    )
    module = AwsIrModule(stage=STAGE_ANALYSIS, argument_spec=argument_spec, supports_check_mode=True)
    module.run(do, "the analysis volumes could not be made or attached; the actions list says what was done")


if __name__ == "__main__":
    main()
