"""Direct, in-process access to moto's backends for the lab's own reads and writes.

The lab runs moto in the same process, so reading EC2 state or writing SSM output to S3 goes
straight to moto's models: no HTTP round trip, no boto3 client, and nothing in the request log.
"""
from moto.backends import get_backend
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
    """Write an object into moto's S3 as its owner would; False when the bucket does not exist."""
    backends = get_backend("s3")
    owner = backends.bucket_accounts.get(bucket)
    if owner is None:
        return False
    partition, account = owner
    backends[account][partition].put_object(bucket, key, data)
    return True


def reset_moto():
    """Wipe every moto backend, as POST /moto-api/reset does."""
    moto_api_backend.reset()


def s3_bucket_region(bucket):
    """The Region of an S3 bucket, or None when it does not exist."""
    backends = get_backend("s3")
    owner = backends.bucket_accounts.get(bucket)
    if owner is None:
        return None
    partition, account = owner
    return backends[account][partition].buckets[bucket].region_name


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
