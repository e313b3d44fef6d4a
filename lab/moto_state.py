"""Direct, in-process access to moto's backends for the lab's own reads and writes.

The lab runs moto in the same process, so reading EC2 state or writing SSM output to S3 goes
straight to moto's models: no HTTP round trip, no boto3 client, and nothing in the request log.
"""
import base64
import binascii

from moto.backends import get_backend
from moto.ec2.models.elastic_block_store import Snapshot
from moto.iam.models import get_account_id_from
from moto.moto_api._internal.models import moto_api_backend


def account_for(access_key):
    """The moto account an access key belongs to (123456789012 for any unknown key)."""
    return get_account_id_from(access_key)


def ec2_instances(account, region):
    """Every EC2 instance moto holds in that account and Region, terminated ones included."""
    backend = get_backend("ec2")[account][region]
    # list() snapshots the dicts under the GIL, so concurrent requests cannot break the iteration.
    return [instance for reservation in list(backend.reservations.values()) for instance in list(reservation.instances)]


def ec2_tags(account, region, resource_id):
    """The tags of an EC2 resource as a dict."""
    return dict(get_backend("ec2")[account][region].tags.get(resource_id, {}))


def ssm_document(account, region, name):
    """The default version of a document created in moto's SSM, or None."""
    documents = get_backend("ssm")[account][region]._documents.get(name)  # pylint: disable=protected-access
    return documents.get_default_version() if documents else None


def s3_put(bucket, key, data):
    """Write an object into moto's S3 as an uploader with an AWS SDK would; False when the bucket does not exist.

    As on AWS, the version gets the bucket's default Object Lock retention (S3 User Guide, "Configuring
    Object Lock": a default retention applies to every new object version placed in the bucket) and the
    checksum the SDK sends by default (CRC32, AWS SDKs' default integrity protection since 2025).
    moto applies neither when written to in-process.
    """
    backends = get_backend("s3")
    owner = backends.bucket_accounts.get(bucket)
    if owner is None:
        return False
    partition, account = owner
    backend = backends[account][partition]
    target = backend.get_bucket(bucket)
    lock = {}
    if target.object_lock_enabled and target.has_default_lock:
        lock = {"lock_mode": target.default_lock_mode, "lock_until": target.default_retention()}
    checksum = base64.b64encode(binascii.crc32(data).to_bytes(4, "big")).decode()
    stored = backend.put_object(bucket, key, data, checksum_value=checksum, **lock)
    stored.checksum_algorithm = "CRC32"
    return True


def s3_bucket_account(bucket):
    """The account that owns an S3 bucket, or None when it does not exist."""
    owner = get_backend("s3").bucket_accounts.get(bucket)
    return owner[1] if owner else None


def reset_moto():
    """Wipe every moto backend, as POST /moto-api/reset does."""
    moto_api_backend.reset()


def s3_bucket_region(bucket):
    """The Region of an S3 bucket, or None when it does not exist."""
    found = s3_bucket(bucket)
    return found.region_name if found else None


def s3_bucket(bucket):
    """moto's bucket of that name, or None."""
    backends = get_backend("s3")
    owner = backends.bucket_accounts.get(bucket)
    if owner is None:
        return None
    partition, account = owner
    return backends[account][partition].buckets.get(bucket)


def backend(service, account, region):
    """moto's backend of a service for an account and Region ("global"-scoped services ignore the Region)."""
    backends = get_backend(service)
    scoped = backends[account]
    return scoped[region] if region in scoped else scoped["global"]


def s3_object(bucket, key, version_id=None):
    """moto's current (or given) version of an S3 object, or None."""
    backends = get_backend("s3")
    owner = backends.bucket_accounts.get(bucket)
    if owner is None:
        return None
    partition, account = owner
    return backends[account][partition].get_object(bucket, key, version_id=version_id)


def aws_managed_key(account, region, key_id):
    """Whether key_id (id, ARN, alias or alias ARN) names an AWS managed KMS key (one aliased alias/aws/...), as aws/ebs is."""
    try:
        key = backend("kms", account, region).describe_key(key_id)
    except (KeyError, AttributeError):  # moto fails on an unknown id or alias in either way
        return False
    return any(name.startswith("alias/aws/") for name in key.aliases)


def show_shared_snapshots(account, region):
    """Make the snapshots other accounts share with this account (createVolumePermission) visible in its own EC2 backend.

    AWS lets an account describe, copy and create volumes from a snapshot shared with it; moto only
    looks in the caller's own backend. A view is a Snapshot in the viewer's backend with the owner's
    id, volume, encryption and owner id but the viewer's (empty) tags, as tags are not shared. Views
    of snapshots no longer shared are removed.
    """
    backends = get_backend("ec2")
    viewer = backends[account][region]
    shared = {}
    for owner, owner_region, owner_backend in list(backends.iter_backends()):
        if owner == account or owner_region != region:
            continue
        for snapshot in list(owner_backend.snapshots.values()):
            if account in snapshot.create_volume_permission_userids or "all" in snapshot.create_volume_permission_groups:
                shared[snapshot.id] = snapshot
    for snapshot_id, snapshot in list(viewer.snapshots.items()):
        if getattr(snapshot, "lab_shared_view", False) and snapshot_id not in shared:
            del viewer.snapshots[snapshot_id]
    for snapshot_id, snapshot in shared.items():
        if snapshot_id not in viewer.snapshots:
            viewer.snapshots[snapshot_id] = _shared_view(viewer, snapshot)


def _shared_view(viewer, snapshot):
    view = Snapshot(viewer, snapshot.id, volume=snapshot.volume, description=snapshot.description, encrypted=snapshot.encrypted,
                    kms_key_id=snapshot.kms_key_id, owner_id=snapshot.owner_id)
    view.start_time, view.status, view.lab_shared_view = snapshot.start_time, snapshot.status, True
    return view
