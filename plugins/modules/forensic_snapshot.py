#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: forensic_snapshot
version_added: 1.0.0
short_description: Crash-consistent, tagged snapshots of every EBS volume, and forensic copies another account can use
description:
  - Preserves the disks of each instance with one C(CreateSnapshots) call per instance (instance
    specification), so all its EBS volumes, root included, are captured at the same point in time.
    O(exclude_boot_volume) leaves the root volume out.
  - Instance-store volumes cannot be snapshotted. They are listed in RV(instances[].not_captured)
    with the reason, from the instance type's C(InstanceStorageInfo) (C(DescribeInstanceTypes));
    C(DescribeInstances) does not list them.
  - B(Tags.) Every snapshot carries C(IncidentTicket=<ticket>), C(Evidence=Yes), C(SourceInstanceId),
    C(SourceVolumeId) and C(SourceDeviceName), then O(tags), then the volume's own tags, then the
    instance's own tags. Keys beginning with C(aws:) are never copied. A snapshot holds at most 49
    tags (one of the 50 EC2 allows is kept for its copy's C(SourceSnapshotId)); the incident tags
    always win, and the copied keys that do not fit are named in a warning. The tags every
    snapshot of the instance shares are set at creation (C(TagSpecifications)), the rest by one
    C(CreateTags) per snapshot. Afterwards the source volumes are tagged C(IncidentTicket=<ticket>)
    (a volume that already holds 50 tags is left alone, with a warning).
  - B(Idempotent.) Existing snapshots of this ticket are found by the C(IncidentTicket) tag and
    their C(VolumeId); only volumes without one are snapshotted (C(ExcludeBootVolume) /
    C(ExcludeDataVolumeIds)), so a re-run after a partial run completes the missing ones and a
    second run creates nothing. A snapshot of an earlier run that lacks an incident tag gets it.
    C(SnapshotCreationPerVolumeRateExceeded) and throttling are retried with jittered backoff.
  - B(Waiting.) With O(wait), polls C(DescribeSnapshots) until every snapshot (and copy) is
    C(completed); a snapshot in the C(error) state fails the module, naming it and its volume;
    a wait that runs out reports the snapshots as C(pending) with their C(Progress).
  - B(Forensic copy.) With O(copy_to), each completed snapshot is copied (C(CopySnapshot) with
    C(Encrypted=true) and C(KmsKeyId), by a client in the destination Region) under a customer
    managed KMS key, and the copy, never the original, is shared with O(copy_to.account_id)
    (C(ModifySnapshotAttribute), C(createVolumePermission)). Copies carry the original's tags plus
    C(SourceSnapshotId), by which a re-run finds them. A snapshot still pending is copied, and a
    copy still pending is shared, by a later run.
  - Unencrypted source volumes are reported in RV(instances[].warnings).
  - Check mode creates nothing and lists the snapshots and copies that would be created; diff mode
    shows each volume's snapshot and copies before and after.
author:
  - secops.aws_ir developers (@secops)
options:
  description:
    description: Snapshot description. Defaults to C(aws-ir <ticket> evidence of <instance id>).
    type: str
  tags:
    description:
      - Additional tags for the snapshots and copies; never replace the incident tags.
      - AWS stores tag keys and values as text; a value of another type is stored as amazon.aws's modules store it
        (V(1) as C(1), V(true) as C(True), V(null) as C(None)), so a re-run finds it and tags nothing.
    type: dict
    default: {}
  exclude_boot_volume:
    description: Whether to leave the root volume out (it is then listed in RV(instances[].not_captured)).
    type: bool
    default: false
  wait:
    description: Whether to wait for the snapshots (and copies) to complete.
    type: bool
    default: true
  wait_timeout:
    description:
      - How long to wait for the snapshots, and again for the copies, in seconds. A first snapshot
        of a large volume, or a copy to another Region, can take hours.
    type: int
    default: 3600
  copy_to:
    description:
      - Where to make forensic copies. Without it no copy is made.
      - The key must be an enabled, symmetric, customer managed key in the destination Region. For
        the forensic account to use a copy, the key policy must let that account use the key
        (C(kms:Decrypt), C(kms:CreateGrant), C(kms:DescribeKey), C(kms:ReEncrypt*), C(kms:GenerateDataKey*)).
    type: dict
    suboptions:
      region:
        description: Destination Region of the copies. Defaults to the instances' Region.
        type: str
      account_id:
        description: The forensic account (12 digits) each copy is shared with. Without it the copies are not shared.
        type: str
      kms_key_id:
        description: Key id, key ARN, alias name or alias ARN of the customer managed key the copies are encrypted with.
        type: str
        required: true
      role_arn:
        description:
          - A role of the forensic account (O(copy_to.account_id)) that the module assumes (STS C(AssumeRole)) to make
            the forensic account's own copy of each shared copy (C(CopySnapshot) by that account), under
            O(copy_to.forensic_kms_key_id). Without it the only copies are the shared ones, which the
            compromised account still owns and can delete.
          - Checked before any change (the role can be assumed, its credentials act in O(copy_to.account_id)).
        type: str
      forensic_kms_key_id:
        description:
          - The forensic account's customer managed key (in the destination Region) its copies are encrypted with;
            required with O(copy_to.role_arn). Checked before any change (exists, enabled, symmetric, customer managed).
        type: str
      remove_intermediate:
        description:
          - Whether to delete the shared copy in this account (C(DeleteSnapshot)) once the forensic account's copy is
            C(completed). The original snapshot is never deleted.
        type: bool
        default: false
      lock:
        description:
          - EBS snapshot lock (C(LockSnapshot)) of the forensic account's copies, once completed. A lock that
            already holds (same mode, expiring no earlier) is left alone.
          - C(compliance) mode cannot be undone, not even by the account's root user, once its cooling-off period
            is over, until it expires; the snapshot cannot be deleted until then. C(governance) mode can be
            lifted by a user allowed C(ec2:UnlockSnapshot).
        type: dict
        suboptions:
          mode:
            description: C(governance) or C(compliance).
            type: str
            required: true
            choices: [governance, compliance]
          duration_days:
            description: Lock duration in days, 1 to 36500. Give this or O(copy_to.lock.expiration_date).
            type: int
          expiration_date:
            description: When the lock expires (ISO 8601, UTC), in the future. Give this or O(copy_to.lock.duration_days).
            type: str
          cool_off_period_hours:
            description: Compliance mode only, 1 to 72 hours during which the lock can still be changed or lifted.
            type: int
      lock_originals:
        description: Whether to lock the original snapshots in this account too, with the same O(copy_to.lock).
        type: bool
        default: false
extends_documentation_fragment:
  - secops.aws_ir.targets
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Sharing lets the forensic account create volumes from the copy, but the shared copy still belongs
    to this account, whose administrator can delete or unshare it. With O(copy_to.role_arn) the
    forensic account makes and owns its own copy (among each snapshot's C(copies), the one with
    C(owner_id)), found again by its C(SourceSnapshotId) tag in that account, so a re-run makes none
    twice and waits for one in progress. A failure there leaves the containment and the originals
    as they are; the action record says what was done, and a re-run completes the rest.
  - Needs C(ec2:DescribeInstances), C(ec2:DescribeInstanceTypes), C(ec2:DescribeVolumes),
    C(ec2:DescribeSnapshots), C(ec2:CreateSnapshots), C(ec2:CreateTags); with O(copy_to) also
    C(kms:DescribeKey), C(ec2:CopySnapshot), C(ec2:DescribeSnapshotAttribute),
    C(ec2:ModifySnapshotAttribute) and the KMS permissions EBS needs on both keys; with
    O(copy_to.role_arn) C(sts:AssumeRole) on that role, whose own policy is
    C(docs/iam/forensic-role-policy.json); with O(copy_to.lock_originals) C(ec2:LockSnapshot) and
    C(ec2:DescribeLockedSnapshots); with O(copy_to.remove_intermediate) C(ec2:DeleteSnapshot).
"""

EXAMPLES = r"""
- name: Snapshot every volume of the instance for INC-123456
  secops.aws_ir.forensic_snapshot:
    instance_ids:
      - i-0123456789abcdef0
    ticket: INC-123456
  register: snapshots

- name: Snapshot, copy to eu-west-1 under a customer managed key and share the copies with the forensic account
  secops.aws_ir.forensic_snapshot:
    instance_ids: "{{ preflight.instance_ids }}"
    ticket: INC-123456
    copy_to:
      region: eu-west-1
      account_id: "111122223333"
      kms_key_id: arn:aws:kms:eu-west-1:123456789012:alias/forensics
  register: snapshots

- name: Copy into the forensic account, which owns its copies, and lock them there in compliance mode for a year
  secops.aws_ir.forensic_snapshot:
    instance_ids: "{{ preflight.instance_ids }}"
    ticket: INC-123456
    copy_to:
      account_id: "111122223333"
      kms_key_id: alias/aws-ir-share
      role_arn: arn:aws:iam::111122223333:role/aws-ir-forensic
      forensic_kms_key_id: arn:aws:kms:us-east-1:111122223333:alias/aws-ir-evidence
      lock: {mode: compliance, duration_days: 365, cool_off_period_hours: 24}
      remove_intermediate: true

- name: List the snapshots and copies that would be made, making none
  secops.aws_ir.forensic_snapshot:
    instance_ids: ["i-0123456789abcdef0"]
    ticket: INC-123456
    copy_to: {account_id: "111122223333", kms_key_id: alias/forensics}
  check_mode: true
  diff: true
"""

RETURN = r"""
instances:
  description: One entry per instance, in the order given.
  returned: always
  type: list
  elements: dict
  sample:
    - instance_id: i-0123456789abcdef0
      snapshots:
      - snapshot_id: snap-0123456789abcdef0
        volume_id: vol-0123456789abcdef0
        state: completed
      not_captured:
      - kind: instance_store
        name: ephemeral0
      outcome:
        status: snapshotted
      warnings: []
  contains:
    instance_id:
      description: Instance id.
      type: str
      sample: i-0123456789abcdef0
    snapshots:
      description: One per EBS volume snapshotted (from C(CreateSnapshots) and C(DescribeSnapshots)).
      type: list
      elements: dict
      sample:
        - snapshot_id: snap-0123456789abcdef0
          volume_id: vol-0123456789abcdef0
          device_name: /dev/xvda
          boot: true
          state: completed
          progress: 100%
          start_time: '2026-11-29T20:15:07+00:00'
          volume_size_gib: 8
          encrypted: true
          kms_key_id: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
          tags:
            IncidentTicket: INC-123456
            Evidence: 'Yes'
            SourceInstanceId: i-0123456789abcdef0
            SourceVolumeId: vol-0123456789abcdef0
            SourceDeviceName: /dev/xvda
            Name: web-1
          created: true
      contains:
        snapshot_id:
          description: The snapshot (C((planned)) in check mode).
          type: str
          sample: snap-0123456789abcdef0
        volume_id:
          description: The EBS volume.
          type: str
          sample: vol-0123456789abcdef0
        device_name:
          description: The volume's device name on the instance.
          type: str
          sample: /dev/xvda
        boot:
          description: Whether it is the root volume.
          type: bool
          sample: true
        state:
          description: C(pending), C(completed), C(error) or C(planned).
          type: str
          sample: completed
        progress:
          description: C(DescribeSnapshots) C(Progress).
          type: str
          sample: 100%
        start_time:
          description: When the snapshot began, ISO 8601.
          type: str
          sample: '2026-11-29T20:15:07+00:00'
        volume_size_gib:
          description: The volume's size in GiB.
          type: int
          sample: 8
        encrypted:
          description: Whether the snapshot is encrypted.
          type: bool
          sample: true
        kms_key_id:
          description: The key ARN it is encrypted with, or null.
          type: str
          sample: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
        tags:
          description: Its tags, as a dict.
          type: dict
          sample:
            IncidentTicket: INC-123456
            Evidence: 'Yes'
            SourceInstanceId: i-0123456789abcdef0
            SourceVolumeId: vol-0123456789abcdef0
            SourceDeviceName: /dev/xvda
            Name: web-1
        created:
          description: Whether this run created it.
          type: bool
          sample: true
        lock:
          description: With O(copy_to.lock_originals), its own lock (the keys of RV(instances[].snapshots[].copies[].lock)).
          type: dict
          sample:
            mode: governance
            state: governance
            expires_on: '2027-11-29T20:30:00+00:00'
            created_on: '2026-11-29T20:30:00+00:00'
            duration_days: 365
            cool_off_period_hours: null
            cool_off_expires_on: null
        copies:
          description:
            - With O(copy_to), the snapshot's copies; with O(copy_to.role_arn) the forensic account's own copy follows the shared one.
          type: list
          elements: dict
          sample:
            - snapshot_id: snap-0aaaabbbbccccdddd
              source_snapshot_id: snap-0123456789abcdef0
              region: us-east-1
              state: completed
              progress: 100%
              start_time: '2026-11-29T20:16:40+00:00'
              encrypted: true
              kms_key_id: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
              tags:
                IncidentTicket: INC-123456
                Evidence: 'Yes'
                SourceInstanceId: i-0123456789abcdef0
                SourceVolumeId: vol-0123456789abcdef0
                SourceDeviceName: /dev/xvda
                Name: web-1
                SourceSnapshotId: snap-0123456789abcdef0
              shared_with:
              - '111122223333'
              created: true
              owner_id: '111122223333'
              copied_from: snap-0aaaabbbbccccdddd
              end_time: '2026-11-29T20:29:51+00:00'
              lock:
                mode: compliance
                state: compliance-cooloff
                expires_on: '2027-11-29T20:30:00+00:00'
                created_on: '2026-11-29T20:30:00+00:00'
                duration_days: 365
                cool_off_period_hours: 24
                cool_off_expires_on: '2026-11-30T20:30:00+00:00'
          contains:
            snapshot_id:
              description: The copy (C((planned)) in check mode).
              type: str
              sample: snap-0aaaabbbbccccdddd
            source_snapshot_id:
              description: The snapshot it was copied from (its C(SourceSnapshotId) tag).
              type: str
              sample: snap-0123456789abcdef0
            region:
              description: The copy's Region.
              type: str
              sample: us-east-1
            state:
              description: C(pending), C(completed), C(error), C(planned), or C(deleted) once O(copy_to.remove_intermediate) removed it.
              type: str
              sample: completed
            progress:
              description: C(DescribeSnapshots) C(Progress).
              type: str
              sample: 100%
            start_time:
              description: When the copy began, ISO 8601.
              type: str
              sample: '2026-11-29T20:16:40+00:00'
            encrypted:
              description: Always true.
              type: bool
              sample: true
            kms_key_id:
              description: The key ARN it is encrypted with.
              type: str
              sample: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
            tags:
              description: Its tags, as a dict.
              type: dict
              sample:
                IncidentTicket: INC-123456
                Evidence: 'Yes'
                SourceInstanceId: i-0123456789abcdef0
                SourceVolumeId: vol-0123456789abcdef0
                SourceDeviceName: /dev/xvda
                Name: web-1
                SourceSnapshotId: snap-0123456789abcdef0
            shared_with:
              description: Account ids with C(createVolumePermission).
              type: list
              elements: str
              sample: ['111122223333']
            created:
              description: Whether this run created it.
              type: bool
              sample: true
            owner_id:
              description: The forensic account (the forensic account's own copy only).
              type: str
              sample: '111122223333'
            copied_from:
              description: The shared copy it was made from (the forensic account's own copy only).
              type: str
              sample: snap-0aaaabbbbccccdddd
            end_time:
              description: When it was seen completed, ISO 8601 (the forensic account's own copy only).
              type: str
              sample: '2026-11-29T20:29:51+00:00'
            lock:
              description:
                - The lock of a forensic account's copy (with O(copy_to.lock)), or of the snapshot itself (with O(copy_to.lock_originals)).
              type: dict
              sample:
                mode: compliance
                state: compliance-cooloff
                expires_on: '2027-11-29T20:30:00+00:00'
                created_on: '2026-11-29T20:30:00+00:00'
                duration_days: 365
                cool_off_period_hours: 24
                cool_off_expires_on: '2026-11-30T20:30:00+00:00'
              contains:
                mode:
                  description: C(governance) or C(compliance).
                  type: str
                  sample: compliance
                state:
                  description: C(LockState) as C(DescribeLockedSnapshots) gives it.
                  type: str
                  sample: compliance-cooloff
                expires_on:
                  description: When the lock expires, ISO 8601.
                  type: str
                  sample: '2027-11-29T20:30:00+00:00'
                created_on:
                  description: When it was locked, ISO 8601.
                  type: str
                  sample: '2026-11-29T20:30:00+00:00'
                duration_days:
                  description: The lock's duration in days, when given as a duration.
                  type: int
                  sample: 365
                cool_off_period_hours:
                  description: The compliance lock's cooling-off period in hours, when there is one.
                  type: int
                  sample: 24
                cool_off_expires_on:
                  description: When the cooling-off period ends, ISO 8601.
                  type: str
                  sample: '2026-11-30T20:30:00+00:00'
    not_captured:
      description: What the snapshots do not hold.
      type: list
      elements: dict
      sample:
        - kind: instance_store
          name: ephemeral0
          volume_id: null
          device_name: null
          size_gb: 75
          disk_type: ssd
          nvme_support: required
          status: not_captured
          reason: instance store cannot be snapshotted; its data is lost when the instance stops, hibernates or terminates
      contains:
        kind:
          description: C(instance_store) or C(ebs).
          type: str
          sample: instance_store
        name:
          description: C(ephemeralN) or the device name.
          type: str
          sample: ephemeral0
        volume_id:
          description: The EBS volume, or null for instance store.
          type: str
          sample: null
        device_name:
          description: The device name, or null for instance store.
          type: str
          sample: null
        status:
          description: C(not_captured).
          type: str
          sample: not_captured
        reason:
          description: Why it is not in the snapshots.
          type: str
          sample: instance store cannot be snapshotted; its data is lost when the instance stops, hibernates or terminates
        size_gb:
          description: Instance store only, its size in GB (C(DescribeInstanceTypes)).
          type: int
          sample: 75
        disk_type:
          description: Instance store only, C(ssd) or C(hdd).
          type: str
          sample: ssd
        nvme_support:
          description: Instance store only, C(unsupported), C(supported) or C(required).
          type: str
          sample: required
    outcome:
      description: The stage's outcome for this instance.
      type: dict
      sample: {detail: '2 EBS snapshot(s), 2 by this run; 1 volume(s) not captured', status: snapshotted}
      contains:
        status:
          description: C(snapshotted), C(pending) or C(planned).
          type: str
          sample: snapshotted
        detail:
          description: One sentence.
          type: str
          sample: 2 EBS snapshot(s), 2 by this run; 1 volume(s) not captured
    warnings:
      description: Unencrypted volumes, tags not copied, volumes not tagged, copies or shares left for a later run.
      type: list
      elements: str
      sample: ["volume vol-0123456789abcdef0 (/dev/xvda) is not encrypted: its snapshot is unencrypted"]
actions:
  description:
    - Every C(CreateSnapshots), C(CreateTags), C(CopySnapshot), C(ModifySnapshotAttribute), C(LockSnapshot) and C(DeleteSnapshot) made or planned.
  returned: always
  type: list
  elements: dict
  sample:
    - time: '2026-11-29T20:15:02.481Z'
      stage: snapshot
      service: ec2
      action: CreateSnapshots
      target: i-0123456789abcdef0
      instance_ids:
      - i-0123456789abcdef0
      parameters:
        InstanceSpecification:
          InstanceId: i-0123456789abcdef0
          ExcludeBootVolume: false
        Description: aws-ir INC-123456 evidence of i-0123456789abcdef0
        TagSpecifications:
        - ResourceType: snapshot
          Tags:
          - Key: IncidentTicket
            Value: INC-123456
      before: null
      after:
        snapshots:
          vol-0123456789abcdef0: snap-0123456789abcdef0
          vol-0fedcba9876543210: snap-0fedcba9876543210
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
      sample: snapshot
    service:
      description: The AWS service, as in IAM action names.
      type: str
      sample: ec2
    action:
      description: The AWS API name.
      type: str
      sample: CreateSnapshots
    target:
      description: The resource the call changes (an id, an ARN or an C(s3://) URI).
      type: str
      sample: i-0123456789abcdef0
    instance_ids:
      description: The target instances the call concerns; empty for a shared resource.
      type: list
      elements: str
      sample: [i-0123456789abcdef0]
    parameters:
      description: The parameters sent, each secret replaced by C(<redacted>).
      type: dict
      sample:
        InstanceSpecification:
          InstanceId: i-0123456789abcdef0
          ExcludeBootVolume: false
        Description: aws-ir INC-123456 evidence of i-0123456789abcdef0
        TagSpecifications:
        - ResourceType: snapshot
          Tags:
          - Key: IncidentTicket
            Value: INC-123456
    before:
      description: What the call changes, as it was before; null when there was nothing.
      type: raw
      sample: null
    after:
      description: What the call changes, as it is after (for a create, what AWS made); null when nothing is left.
      type: raw
      sample: {snapshots: {vol-0123456789abcdef0: snap-0123456789abcdef0, vol-0fedcba9876543210: snap-0fedcba9876543210}}
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
  description: The workflow stage, C(snapshot).
  returned: always
  type: str
  sample: snapshot
diff:
  description: Per instance and volume, the snapshot id and copy ids before and after (diff mode).
  returned: when diff mode is on
  type: dict
  sample:
    before:
      i-0123456789abcdef0:
        vol-0123456789abcdef0:
          snapshot_id: null
          copies: []
    after:
      i-0123456789abcdef0:
        vol-0123456789abcdef0:
          snapshot_id: snap-0123456789abcdef0
          copies:
          - snap-0aaaabbbbccccdddd
  contains:
    before:
      description: Per instance id and volume id, C(snapshot_id) (null when there was none) and C(copies) (ids) before this run.
      type: dict
      sample: {i-0123456789abcdef0: {vol-0123456789abcdef0: {copies: [], snapshot_id: null}}}
    after:
      description: The same, after this run (planned ids in check mode).
      type: dict
      sample: {i-0123456789abcdef0: {vol-0123456789abcdef0: {copies: [snap-0aaaabbbbccccdddd], snapshot_id: snap-0123456789abcdef0}}}"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot import forensic_account
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot import shared_key_policy
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot import not_captured
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot import snapshot_locks as locks
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot import snapshot_copies as copies
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot import snapshots as snaps
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_SNAPSHOT
from ansible_collections.secops.aws_ir.plugins.module_utils.common import TICKET_TAG_KEY
from ansible_collections.secops.aws_ir.plugins.module_utils.concurrency import each_recorded
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import describe_instances
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import ebs_volumes
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import refuse_gone
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import validate_instance_ids
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import ChangeRetry
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import READ_RETRY
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import backoff
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import per_operation
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import ensure_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import has_room
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import incident_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import tags_of
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import missing_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket

# A volume snapshotted moments ago refuses another snapshot for a while (the refusal says AWS did not act); wait and retry.
SNAPSHOT_RETRY = per_operation(READ_RETRY, backoff(ChangeRetry, ["SnapshotCreationPerVolumeRateExceeded"], delay=1.0, max_delay=30))
PLANNED_STATE = "planned"


class SnapshotRun:
    """One run of the module: parameters and clients, the estate as read before any change, and the results."""

    def __init__(self, module):
        params = module.params
        self.module = module
        self.log = module.actions
        self.ids = validate_instance_ids(params["instance_ids"])
        self.ticket = validate_ticket(params["ticket"], pattern=r".+")
        self.extra_tags = snaps.validate_extra_tags(params["tags"])
        self.destination = copies.validate_copy_to(params["copy_to"], module.region) if params["copy_to"] else None
        if self.destination:
            self.destination.update(forensic_account.forensic_options(params["copy_to"]))
        self.ec2 = module.client("ec2", retry_decorator=SNAPSHOT_RETRY)
        # Everything below is read before the first change, so that bad input changes nothing.
        self.instances = describe_instances(self.ec2, self.ids)
        refuse_gone(self.instances)
        self.volumes = {i: ebs_volumes(inst) for i, inst in self.instances.items()}
        volume_ids = [v["volume_id"] for vols in self.volumes.values() for v in vols]
        self.source_volumes = snaps.describe_volumes(self.ec2, volume_ids)
        self.volume_tags = {v: tags_of(vol) for v, vol in self.source_volumes.items()}
        self.existing = snaps.find_existing(self.ec2, self.ticket, volume_ids)
        self.storage = not_captured.instance_storage(self.ec2, [inst["InstanceType"] for inst in self.instances.values()])
        self.copy_client = self._destination_client() if self.destination else None
        self.forensic = self._forensic_client() if self.destination and self.destination["role_arn"] else None
        self.results = [{"instance_id": i, "snapshots": [], "not_captured": [], "warnings": []} for i in self.ids]

    def _destination_client(self):
        """An EC2 client in the destination Region, once the copies' key is known to be usable."""
        region = self.destination["region"]
        kms = self.module.client("kms", region=region)
        self.destination.update(source_region=self.module.region,
                                kms_key_arn=copies.customer_key_arn(kms, self.destination["kms_key_id"], region))
        if self.destination["role_arn"]:
            shared_key_policy.check_shared_key(kms, self.destination["kms_key_arn"], self.destination["kms_key_id"],
                                               self.destination["account_id"], self.destination["role_arn"])
        return self.module.client("ec2", retry_decorator=SNAPSHOT_RETRY, region=region)

    def _forensic_client(self):
        """An EC2 client of the forensic account's role in the destination Region, once the role and its key are known to work."""
        destination, region = self.destination, self.destination["region"]
        credentials = forensic_account.assume_role(self.module.client("sts"), destination["role_arn"], self.ticket)
        forensic_account.check_account(self.module.client("sts", **credentials), destination["account_id"], destination["role_arn"])
        kms = self.module.client("kms", region=region, **credentials)
        destination["forensic_kms_key_arn"] = copies.customer_key_arn(kms, destination["forensic_kms_key_id"], region,
                                                                      option="copy_to.forensic_kms_key_id", account=destination["account_id"])
        return self.module.client("ec2", retry_decorator=SNAPSHOT_RETRY, region=region, **credentials)


def planned_tags(run, instance_id):
    """{volume_id: (tags, dropped keys)} of the instance's snapshots."""
    instance_tags = tags_of(run.instances[instance_id])
    return {
        v["volume_id"]: snaps.snapshot_tags(snaps.incident_snapshot_tags(run.ticket, instance_id, v), run.extra_tags,
                                            run.volume_tags.get(v["volume_id"], {}), instance_tags)
        for v in run.volumes[instance_id]
    }


def create_snapshots(run, log, instance_id, spec, wanted):
    """One CreateSnapshots for the volumes spec covers, then one CreateTags per snapshot for what creation could not set.

    wanted: {volume_id: tags}. Returns {volume_id: snapshot (boto3 shape)}; empty in check mode.
    """
    missing = [v["volume_id"] for v in run.volumes[instance_id]
               if v["volume_id"] not in run.existing and not (v["boot"] and spec["ExcludeBootVolume"])]
    at_creation = snaps.common_tags([wanted[v] for v in missing])
    parameters = {
        "InstanceSpecification": spec,
        "Description": run.module.params["description"] or f"aws-ir {run.ticket} evidence of {instance_id}",
        "TagSpecifications": boto3_tag_specifications(at_creation, types=["snapshot"]),
    }
    response = log.call(run.ec2, "ec2", "CreateSnapshots", instance_id, parameters, instance_ids=[instance_id],
                        after_from=lambda r: {"snapshots": {s["VolumeId"]: s["SnapshotId"] for s in r["Snapshots"]}})
    # In check mode the tags are planned on stand-ins, so that the plan lists every call the run makes.
    snapshots = response["Snapshots"] if response else [{"VolumeId": v, "SnapshotId": planned_snapshot_id(v)} for v in missing]
    created = {}
    for snapshot in snapshots:
        volume_id = snapshot["VolumeId"]
        rest = {k: v for k, v in wanted[volume_id].items() if at_creation.get(k) != v}
        ensure_tags(log, run.ec2, {snapshot["SnapshotId"]: {}}, rest, instance_ids=[instance_id])
        if response:
            created[volume_id] = dict(snapshot, Tags=ansible_dict_to_boto3_tag_list(wanted[volume_id]))
    return created


def planned_snapshot_id(volume_id):
    """Stand-in id, in check mode, for the snapshot of a volume that would be created."""
    return f"snap-(new, of {volume_id})"


def complete_incident_tags(run, log, instance_id, volume):
    """Give a snapshot of an earlier run the incident tags it lacks (a run stopped between creation and tagging)."""
    snapshot = run.existing[volume["volume_id"]]
    lacking = missing_tags(tags_of(snapshot), snaps.incident_snapshot_tags(run.ticket, instance_id, volume))
    if lacking:
        ensure_tags(log, run.ec2, {snapshot["SnapshotId"]: {}}, lacking, instance_ids=[instance_id])
        snapshot["Tags"] = ansible_dict_to_boto3_tag_list(dict(tags_of(snapshot), **lacking))


def snapshot_instance(run, log, result):
    """Create the instance's missing snapshots, recording the calls in log; fill result's snapshots, not_captured and warnings."""
    instance_id = result["instance_id"]
    exclude_boot = run.module.params["exclude_boot_volume"]
    tag_plan = planned_tags(run, instance_id)
    spec = snaps.instance_specification(instance_id, run.volumes[instance_id], run.existing, exclude_boot)
    created = create_snapshots(run, log, instance_id, spec, {v: tags for v, (tags, _dropped) in tag_plan.items()}) if spec else {}
    for volume in run.volumes[instance_id]:
        volume_id = volume["volume_id"]
        if volume_id in run.existing:
            complete_incident_tags(run, log, instance_id, volume)
            result["snapshots"].append(dict(snaps.describe(run.existing[volume_id], volume), created=False))
            continue
        if volume["boot"] and exclude_boot:
            result["not_captured"].append(not_captured.excluded_boot_volume(volume))
            continue
        if volume_id in created:
            snapshot = created[volume_id]
        elif run.module.check_mode:
            snapshot = {"SnapshotId": copies.PLANNED, "State": PLANNED_STATE, "Tags": ansible_dict_to_boto3_tag_list(tag_plan[volume_id][0])}
        else:
            result["warnings"].append(f"CreateSnapshots gave no snapshot of {volume_id} ({volume['device_name']}): a later run takes it")
            continue
        # CreateSnapshots does not name the key; a snapshot is encrypted with its volume's.
        snapshot.setdefault("KmsKeyId", run.source_volumes.get(volume_id, {}).get("KmsKeyId"))
        result["snapshots"].append(dict(snaps.describe(snapshot, volume), created=True))
        dropped = tag_plan[volume_id][1]
        if dropped:
            result["warnings"].append(f"snapshot of {volume_id} ({volume['device_name']}): {len(dropped)} tag(s) of the volume or "
                                      f"instance not copied, to stay within the 50-tag limit: {', '.join(dropped)}")
    result["not_captured"] += not_captured.instance_store_disks(run.storage.get(run.instances[instance_id]["InstanceType"]))


def tag_source_volumes(run):
    """IncidentTicket on every source volume that lacks it and has room for it."""
    wanted = incident_tags(run.ticket)
    by_instance = {v["volume_id"]: i for i, vols in run.volumes.items() for v in vols}
    with_room = {v: tags for v, tags in run.volume_tags.items() if has_room(tags, wanted)}
    ensure_tags(run.log, run.ec2, with_room, wanted, instance_ids=run.ids)
    for volume_id in sorted(set(run.volume_tags) - set(with_room)):
        warning = f"volume {volume_id} already holds 50 tags: not tagged {TICKET_TAG_KEY}={run.ticket}"
        next(r for r in run.results if r["instance_id"] == by_instance[volume_id])["warnings"].append(warning)


def wait_for(client, entries, wait_timeout):
    """Wait until the entries' snapshots complete (or the timeout runs out); move their state and progress on."""
    waiting = {e["snapshot_id"]: e for e in entries if e["state"] not in ("completed", PLANNED_STATE)}
    if waiting:
        for snapshot_id, snapshot in snaps.wait_completed(client, list(waiting), wait_timeout).items():
            snaps.refresh(waiting[snapshot_id], snapshot)


def copy_originals(run, result, state):
    """Find or make the copy of each of the instance's originals.

    state: {"found": existing shared copies by original id, "forensic": the forensic account's copies by original id,
    "limited": whether AWS refused a copy for too many in progress}.
    """
    destination = run.destination
    for original in result["snapshots"]:
        original["copies"] = []
        known = state["found"].get(original["snapshot_id"])
        if known is not None:
            shared = copies.shared_with(run.copy_client, known["SnapshotId"]) if destination["account_id"] else []
            original["copies"].append(copies.describe_copy(known, destination["region"], created=False, shared=shared))
        elif original["snapshot_id"] in state["forensic"]:
            continue  # the forensic account has its copy: the shared copy it was made from is no longer needed
        elif original["state"] not in ("completed", PLANNED_STATE):
            result["warnings"].append(f"{original['snapshot_id']} is still {original['state']}: it is copied by a run after it completes")
        elif not state["limited"]:
            _copy(run, result, original, state)


def _copy(run, result, original, state):
    description = f"aws-ir {run.ticket} copy of {original['snapshot_id']} from {run.destination['source_region']}"
    try:
        copy, dropped = copies.copy_snapshot(run.log, run.copy_client, original, run.destination, description, result["instance_id"])
    except is_boto3_error_code(copies.COPY_LIMIT_CODE):
        state["limited"] = True
        result["warnings"].append(f"too many snapshot copies in progress to {run.destination['region']} ({copies.COPY_LIMIT_CODE}): "
                                  f"{original['snapshot_id']} and the snapshots after it are copied by a later run")
        return
    original["copies"].append(copy)
    if dropped:
        result["warnings"].append(f"copy of {original['snapshot_id']}: {len(dropped)} tag(s) not copied (50-tag limit): {', '.join(dropped)}")


def copies_of(result):
    """The copies of the instance's snapshots, in the order of their originals."""
    return [c for s in result["snapshots"] for c in s.get("copies", [])]


def share_copies(run, result):
    """Share each completed (or planned) copy with the forensic account; a pending copy waits for a later run."""
    account_id = run.destination["account_id"]
    for copy in copies_of(result):
        if copy["state"] in ("completed", PLANNED_STATE):
            copies.share(run.log, run.copy_client, copy, account_id, result["instance_id"])
        else:
            result["warnings"].append(f"copy {copy['snapshot_id']} is still {copy['state']}: it is shared with {account_id} by a later run")


def make_copies(run):
    originals = [s["snapshot_id"] for r in run.results for s in r["snapshots"] if s["state"] != PLANNED_STATE]
    destination = run.destination
    state = {"limited": False,
             "found": copies.find_copies(run.copy_client, run.ticket, originals, destination["kms_key_arn"]) if originals else {},
             "forensic": (copies.find_copies(run.forensic, run.ticket, originals, destination["forensic_kms_key_arn"])
                          if run.forensic and originals else {})}
    for result in run.results:
        copy_originals(run, result, state)
    if run.module.params["wait"] and not run.module.check_mode:
        wait_for(run.copy_client, [c for r in run.results for c in copies_of(r)], run.module.params["wait_timeout"])
    if destination["account_id"]:
        for result in run.results:
            share_copies(run, result)
    if run.forensic:
        forensic_copies(run, state["forensic"])


def forensic_copies(run, found):
    """The forensic account's own copies: found by tag or made from the shared copies, waited for, locked; then the options after them."""
    for result in run.results:
        each_original(result, lambda original, shared: forensic_copy(run, result, original, shared, found.get(original["snapshot_id"])))
    made = [c for r in run.results for c in forensic_entries(r)]
    if run.module.params["wait"] and not run.module.check_mode:
        wait_for(run.forensic, made, run.module.params["wait_timeout"])
    for entry in made:
        forensic_account.completed(entry, {"State": entry["state"]})
    destination = run.destination
    if destination["lock"]:
        lock_all(run, run.forensic, forensic_entries, destination["lock"],
                 lambda e: forensic_account.snapshot_arn(destination["region"], destination["account_id"], e["snapshot_id"]))
        if destination["lock_originals"]:
            lock_all(run, run.ec2, lambda r: r["snapshots"], destination["lock"], lambda e: e["snapshot_id"])
    if destination["remove_intermediate"]:
        for result in run.results:
            each_original(result, lambda original, shared: remove_intermediate(run, result, original, shared))


def each_original(result, act):
    """act(original, its shared copy or None) for each original of the instance."""
    for original in result["snapshots"]:
        shared = next((c for c in original.get("copies", []) if not c.get("owner_id")), None)
        act(original, shared)


def forensic_entries(result):
    return [c for c in copies_of(result) if c.get("owner_id")]


def forensic_copy(run, result, original, shared, known):
    """Record the forensic account's copy of an original, or make it from the shared copy once that is completed and shared."""
    destination = run.destination
    if known is not None:
        entry = forensic_account.describe_forensic(known, destination, shared["snapshot_id"] if shared else None, created=False)
    elif shared is None:
        return  # no shared copy yet (a copy limit, an original still pending): warned about already
    elif shared["state"] not in ("completed", PLANNED_STATE) or destination["account_id"] not in shared["shared_with"]:
        result["warnings"].append(f"copy {shared['snapshot_id']} is still {shared['state']}: the forensic account copies it in a later run")
        return
    else:
        description = f"aws-ir {run.ticket} forensic copy of {original['snapshot_id']} (from {shared['snapshot_id']})"
        entry = forensic_account.copy_to_forensic(run.log, run.forensic, shared, destination, description, result["instance_id"])
    original["copies"].append(entry)


def lock_all(run, client, entries_of, parameters, target_of):
    """LockSnapshot on every completed entry entries_of(result) gives whose current lock does not already hold; a pending one waits.

    target_of(entry): what the action record names (the forensic account's snapshots by ARN, which names the account).
    """
    by_result = [(r, [e for e in entries_of(r) if e["snapshot_id"].startswith("snap-")]) for r in run.results]
    current = locks.current_locks(client, [e["snapshot_id"] for _r, entries in by_result for e in entries])
    for result, entries in by_result:
        for entry in entries:
            if entry["state"] != "completed" and not run.module.check_mode:
                result["warnings"].append(f"{entry['snapshot_id']} is still {entry['state']}: it is locked by a later run")
                continue
            locks.lock(run.log, client, entry, parameters, current.get(entry["snapshot_id"]), target_of(entry), result["instance_id"])


def remove_intermediate(run, result, original, shared):
    """DeleteSnapshot of the shared copy in the compromised account once the forensic account's copy is completed."""
    forensic = next((c for c in original.get("copies", []) if c.get("owner_id")), None)
    if shared is None or forensic is None or forensic["state"] != "completed" or shared["state"] == "deleted":
        return
    run.log.call(run.copy_client, "ec2", "DeleteSnapshot", shared["snapshot_id"], {"SnapshotId": shared["snapshot_id"]},
                 instance_ids=[result["instance_id"]], before={"state": shared["state"]}, after={"state": "deleted"})
    shared["state"] = "deleted"


def warn_unencrypted(run):
    for result in run.results:
        for snapshot in result["snapshots"]:
            if not run.source_volumes.get(snapshot["volume_id"], {}).get("Encrypted"):
                copied = f"; its copies are encrypted under {run.destination['kms_key_arn']}" if run.destination else ""
                result["warnings"].append(f"volume {snapshot['volume_id']} ({snapshot['device_name']}) is not encrypted: "
                                          f"its snapshot is unencrypted{copied}")


def outcome(run, result):
    """The instance's outcome: status and one sentence."""
    copied = copies_of(result)
    entries = result["snapshots"] + copied
    if run.module.check_mode:
        status = PLANNED_STATE
    elif any(e["state"] == "pending" for e in entries):
        status = "pending"
    else:
        status = "snapshotted"
    made = sum(s["created"] for s in result["snapshots"])
    detail = f"{len(result['snapshots'])} EBS snapshot(s), {made} by this run"
    if run.destination:
        shared = f", shared with {run.destination['account_id']}" if run.destination["account_id"] else ""
        detail += f"; {len(copied)} copy(ies) in {run.destination['region']} under {run.destination['kms_key_arn']}{shared}"
    if result["not_captured"]:
        detail += f"; {len(result['not_captured'])} volume(s) not captured"
    return {"status": status, "detail": detail}


def diff(results):
    """Per instance and volume, the snapshot and copy ids before this run and after it."""
    def view(keep):
        return {r["instance_id"]: {s["volume_id"]: {"snapshot_id": s["snapshot_id"] if keep(s) else None,
                                                    "copies": [c["snapshot_id"] for c in s.get("copies", []) if keep(c)]}
                                   for s in r["snapshots"]}
                for r in results}
    return {"before": view(lambda e: not e["created"]), "after": view(lambda e: True)}


def do(module):
    run = SnapshotRun(module)
    module.partial["instances"] = run.results  # a failure part-way still reports the snapshots made
    # The instances concurrently (AWS takes concurrent CreateSnapshots; a volume snapshotted moments ago is retried, SNAPSHOT_RETRY).
    each_recorded(run.log, lambda log, result: snapshot_instance(run, log, result), run.results)
    tag_source_volumes(run)
    if module.params["wait"] and not module.check_mode:
        wait_for(run.ec2, [s for r in run.results for s in r["snapshots"]], module.params["wait_timeout"])
    if run.destination:
        make_copies(run)
    warn_unencrypted(run)
    for result in run.results:
        result["outcome"] = outcome(run, result)
        for warning in result["warnings"]:
            module.warn(f"{result['instance_id']}: {warning}")
    extra = {"diff": diff(run.results)} if module._diff else {}  # pylint: disable=protected-access
    changed = module.actions.changed
    module.exit_json(changed=changed, instances=run.results, **extra)


def main():
    argument_spec = dict(
        role_arn=dict(type="str"),
        instance_ids=dict(type="list", elements="str", required=True),
        ticket=dict(type="str", required=True),
        description=dict(type="str"),
        tags=dict(type="dict", default={}),
        exclude_boot_volume=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
        copy_to=dict(type="dict", options=dict(
            region=dict(type="str"),
            account_id=dict(type="str"),
            kms_key_id=dict(type="str", required=True),
            role_arn=dict(type="str"),
            forensic_kms_key_id=dict(type="str"),
            remove_intermediate=dict(type="bool", default=False),
            lock=dict(type="dict", options=dict(
                mode=dict(type="str", required=True, choices=list(locks.MODES)),
                duration_days=dict(type="int"),
                expiration_date=dict(type="str"),
                cool_off_period_hours=dict(type="int"),
            )),
            lock_originals=dict(type="bool", default=False),
        )),
    )
    module = AwsIrModule(stage=STAGE_SNAPSHOT, argument_spec=argument_spec, supports_check_mode=True)
    module.run(do, "snapshots stopped; the actions list says which were created")


if __name__ == "__main__":
    main()
