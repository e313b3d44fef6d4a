"""S3 as AWS documents it: GetObjectRetention, which moto does not implement (it answers as if GetObject had been called),
and the bucket owner condition (x-amz-expected-bucket-owner), which moto ignores."""
import uuid
from xml.sax.saxutils import escape

from moto.core.exceptions import ServiceException

from lab import moto_state
from lab.wire import error_response

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
