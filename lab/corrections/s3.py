"""S3 as AWS documents it: GetObjectRetention, which moto does not implement (it answers as if GetObject had been called);
object writes that check their condition and write as one step;
the bucket owner condition (x-amz-expected-bucket-owner), which moto ignores; GetObjectLockConfiguration, where moto adds
the unset one of Days and Years as 0; bucket policy statements with a Condition, which moto applies to object requests as
if the condition held."""
import json
import contextlib
import threading
import uuid
from xml.sax.saxutils import escape

from moto.core.exceptions import ServiceException
from moto.iam.access_control import IAMPolicy
from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket

from lab import moto_state
from lab.wire import error_response

# S3 decides a conditional write (If-Match / If-None-Match) atomically: of two at once on one key, one gets 412
# (S3 User Guide, "How to prevent object overwrites with conditional writes"). moto checks the condition, then
# writes, in two steps a threaded server can interleave; the lab lets one object write through at a time.
_OBJECT_WRITES = {"PutObject", "CompleteMultipartUpload", "CopyObject", "DeleteObject", "DeleteObjects"}
_ONE_WRITE_AT_A_TIME = threading.Lock()


def atomic(call):
    """The lock to hold while moto answers call (an S3 object write), or a context that holds nothing."""
    return _ONE_WRITE_AT_A_TIME if call.service == "s3" and call.action in _OBJECT_WRITES else contextlib.nullcontext()


_RETENTION = ('<?xml version="1.0" encoding="UTF-8"?>\n<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
              "<Mode>{mode}</Mode><RetainUntilDate>{until}</RetainUntilDate></Retention>")


def bucket_owner_condition(call):
    """AccessDenied (403) when a request names an expected bucket owner that does not own the bucket.

    S3 User Guide, Verifying bucket ownership with bucket owner condition: "If the bucket owner doesn't
    match the account ID that you specify, the request fails with an HTTP 403 (Forbidden) error."
    """
    bucket = call.params.get("bucket")
    if not call.expected_bucket_owner or not bucket:
        return None
    owner = moto_state.s3_bucket_account(bucket)
    if owner is None or owner == call.expected_bucket_owner:
        return None
    return error_response("rest-xml", "AccessDenied", "Access Denied", 403, call.method)


def get_object_retention(call, account):
    """The object's Object Lock mode and retain-until date, or NoSuchObjectLockConfiguration."""
    del account
    try:
        key = moto_state.s3_object(call.params["bucket"], call.params["key"], call.query.get("versionId"))
    except ServiceException:
        return None  # no such bucket or version: moto reports it in its own words
    if key is None:
        return None
    if not key.lock_mode:
        return error_response("rest-xml", "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration", 404)
    body = _RETENTION.format(mode=escape(key.lock_mode), until=escape(str(key.lock_until))).encode("utf-8")
    return 200, [("Content-Type", "application/xml"), ("Content-Length", str(len(body))), ("x-amz-request-id", str(uuid.uuid4()))], body


_LOCK = ('<?xml version="1.0" encoding="UTF-8"?>\n<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
         "<ObjectLockEnabled>Enabled</ObjectLockEnabled>{rule}</ObjectLockConfiguration>")


def get_object_lock_configuration(call, account):
    """The bucket's Object Lock configuration with only the period it was given (Days or Years, never both:
    S3 API Reference, DefaultRetention); moto answers anything else (no bucket, no Object Lock)."""
    del account
    bucket = moto_state.s3_bucket(call.params["bucket"])
    if bucket is None or not bucket.object_lock_enabled:
        return None
    rule = ""
    if bucket.default_lock_mode:
        period = f"<Days>{bucket.default_lock_days}</Days>" if bucket.default_lock_days else f"<Years>{bucket.default_lock_years}</Years>"
        rule = f"<Rule><DefaultRetention><Mode>{escape(bucket.default_lock_mode)}</Mode>{period}</DefaultRetention></Rule>"
    body = _LOCK.format(rule=rule).encode("utf-8")
    return 200, [("Content-Type", "application/xml"), ("Content-Length", str(len(body))), ("x-amz-request-id", str(uuid.uuid4()))], body


def _permission_without_conditions(bucket, action, resource):
    """moto's bucket-policy decision over the statements without a Condition.

    moto cannot evaluate conditions and applies a conditional Deny to every object request. The
    conditions the collection's bucket policy uses (aws:SecureTransport false, aws:PrincipalAccount
    not the account's) do not hold for the lab's callers, which stand for TLS clients of the account
    itself, so on AWS those statements would not apply to them either.
    """
    if bucket.policy is None:
        return PermissionResult.NEUTRAL
    policy = json.loads(bucket.policy.decode())
    statements = policy.get("Statement", [])
    policy["Statement"] = [s for s in (statements if isinstance(statements, list) else [statements]) if "Condition" not in s]
    return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)


def install():
    """Bucket policies: conditional statements are left out of moto's object-request check (see above)."""
    FakeBucket.get_permission = _permission_without_conditions
