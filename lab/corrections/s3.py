"""S3 as AWS answers it: GetObjectRetention, which moto does not implement (it answers as if GetObject had been called),
and object writes that check their condition and write as one step."""
import contextlib
import threading
import uuid
from xml.sax.saxutils import escape

from moto.core.exceptions import ServiceException

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


def expected_bucket_owner(call):
    """403 AccessDenied when the request names an ExpectedBucketOwner that does not own the bucket; moto ignores the header.

    S3 User Guide, "Verifying bucket ownership with bucket owner condition": "If the bucket is owned by a
    different account, the request fails with an HTTP 403 (Access Denied) error." Every S3 operation takes it.
    """
    expected, bucket = call.expected_bucket_owner, call.params.get("bucket")
    if not expected or not bucket:
        return None
    owner = moto_state.s3_bucket_owner(bucket)
    if owner is None or owner == expected:
        return None  # a missing bucket: moto answers NoSuchBucket
    return error_response("rest-xml", "AccessDenied", "Access Denied", 403, call.method)
