"""EBS snapshots as AWS documents them: CreateSnapshots exclusions and answer, sharing rules, snapshots shared with an account."""
from lab import moto_state
from lab.corrections.ec2 import tag_rules
from lab.corrections.params import is_true, numbered, numbered_structs
from lab.wire import ec2_answer, error_response

_SPEC = "InstanceSpecification."


def _error(call, code, message):
    return error_response(call.protocol, code, message, 400)


def _snapshot_tags(params):
    """The tags of the TagSpecification.N entries for snapshots, as a dict."""
    tags = {}
    for index, spec in enumerate(numbered_structs(params, "TagSpecification"), start=1):
        if spec.get("ResourceType") == "snapshot":
            tags.update({t["Key"]: t.get("Value", "") for t in numbered_structs(params, f"TagSpecification.{index}.Tag")})
    return tags


def _snapshot_info(snapshot):
    """CreateSnapshots' SnapshotInfo of a moto snapshot (boto3 shape)."""
    return {
        "SnapshotId": snapshot.id, "VolumeId": snapshot.volume.id, "State": snapshot.status, "Progress": snapshot.progress,
        "StartTime": snapshot.start_time, "VolumeSize": snapshot.volume.size, "OwnerId": snapshot.owner_id,
        "Encrypted": bool(snapshot.encrypted), "Description": snapshot.description,
        "Tags": [{"Key": t["key"], "Value": t["value"]} for t in snapshot.get_tags()],
    }


def create_snapshots(call, account):
    """ExcludeDataVolumeIds honoured (moto snapshots them anyway), the root volume refused there, State in the answer,
    and each snapshot under its volume's KMS key (moto gives none)."""
    refused = tag_rules(call)
    if refused:
        return refused
    backend = moto_state.backend("ec2", account, call.region)
    instance = backend.get_instance_by_id(call.params.get(f"{_SPEC}InstanceId", ""))
    if instance is None:
        return None  # moto answers InvalidInstanceID.NotFound
    mappings = dict(instance.get_block_device_mapping)
    root = mappings.get(instance.root_device_name)
    excluded = numbered(call.params, f"{_SPEC}ExcludeDataVolumeId")
    if root is not None and root.volume_id in excluded:
        return _error(call, "InvalidParameterValue", f"The root volume {root.volume_id} cannot be in ExcludeDataVolumeIds; use ExcludeBootVolume")
    attached = {m.volume_id for m in mappings.values()}
    for volume_id in excluded:
        if volume_id not in attached:
            return _error(call, "InvalidParameterValue", f"Volume {volume_id} is not attached to instance {instance.id}")
    exclude_boot = is_true(call.params.get(f"{_SPEC}ExcludeBootVolume"))
    volume_ids = [m.volume_id for device, m in mappings.items()
                  if m.volume_id not in excluded and not (exclude_boot and device == instance.root_device_name)]
    tags = _snapshot_tags(call.params)
    made = []
    for volume_id in volume_ids:
        snapshot = backend.create_snapshot(volume_id, description=call.params.get("Description", ""))
        snapshot.kms_key_id = snapshot.volume.kms_key_id  # moto leaves it out; on AWS a snapshot has its volume's key
        snapshot.add_tags(tags)
        made.append(snapshot)
    return ec2_answer("CreateSnapshots", {"Snapshots": [_snapshot_info(s) for s in made]})


def modify_snapshot_attribute(call, account):
    """A snapshot encrypted with an AWS managed key (aws/ebs) cannot be shared: OperationNotPermitted."""
    adds = call.params.get("OperationType") == "add" or any(k.startswith("CreateVolumePermission.Add.") for k in call.params)
    if not adds:
        return None
    snapshot = moto_state.backend("ec2", account, call.region).snapshots.get(call.params.get("SnapshotId", ""))
    key_id = snapshot and (snapshot.kms_key_id or (snapshot.encrypted and snapshot.volume.kms_key_id))
    if key_id and moto_state.aws_managed_key(account, call.region, key_id):
        return _error(call, "OperationNotPermitted", "Encrypted snapshots with EBS default key cannot be shared")
    return None


def with_shared_snapshots(call, account):
    """Snapshots shared with the caller become visible to it, in the Region of the call and the copy's SourceRegion."""
    refused = tag_rules(call)
    if refused:
        return refused
    for region in sorted({call.region, call.params.get("SourceRegion") or call.region}):
        moto_state.show_shared_snapshots(account, region)
    return None
