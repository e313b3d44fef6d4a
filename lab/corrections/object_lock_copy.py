"""Object Lock set by the request that creates an object copy, as the S3 API Reference documents it.

CopyObject and CreateMultipartUpload take x-amz-object-lock-mode, x-amz-object-lock-retain-until-date and
x-amz-object-lock-legal-hold for the object they create; a bucket without Object Lock refuses them with
InvalidRequest. Neither request carries a body, so neither takes a checksum of one (botocore's S3 model gives
them no httpChecksum trait, unlike PutObject and UploadPart): no SDK can send x-amz-sdk-checksum-algorithm there.
moto refuses such a copy (and any copy into a bucket with a default retention) for want of Content-MD5, and
CreateMultipartUpload drops the headers, so the completed object has no lock. No single request can be
corrected from outside moto (the headers' values are never in the lab's Call), hence the patched handlers.
"""
import re

from moto.s3.exceptions import LockNotEnabled
from moto.s3.models import S3Backend
from moto.s3.responses import S3Response

LOCK_HEADERS = ("x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold")
# The subresources a PUT with x-amz-copy-source may name that make it another action than CopyObject.
_NOT_A_COPY = ("retention", "legal-hold", "acl", "tagging")
_UPLOAD_ID = re.compile(rb"<UploadId>([^<]+)</UploadId>")
_ATTRIBUTE = "lab_object_lock"  # on moto's FakeMultipart: the lock its CreateMultipartUpload asked for


def _lock_requested(headers):
    return any(headers.get(name) for name in LOCK_HEADERS)


def _refuse_without_object_lock(response):
    if _lock_requested(response.headers) and not response.backend.get_bucket(response.bucket_name).object_lock_enabled:
        raise LockNotEnabled()


def _is_copy_object(response, query):
    return ("x-amz-copy-source" in response.headers and not (query.get("uploadId") and query.get("partNumber"))
            and not any(name in query for name in _NOT_A_COPY))


def _patched_put(original):
    def key_response_put(self, query, key_name):
        if not _is_copy_object(self, query):
            return original(self, query, key_name)
        self._set_action("KEY", "PUT", query)  # pylint: disable=protected-access  # moto's own first steps, as the original takes them
        self._authenticate_and_authorize_s3_action(bucket_name=self.bucket_name, key_name=key_name)  # pylint: disable=protected-access
        _refuse_without_object_lock(self)
        return self.copy_object()  # moto applies the lock headers (or the bucket's default retention) to the copy
    return key_response_put


def _patched_post(original):
    def key_response_post(self, request, body, bucket_name, query, key_name):
        creates_upload = body == b"" and "uploads" in query
        if not creates_upload or not _lock_requested(request.headers):
            return original(self, request, body, bucket_name, query, key_name)
        _refuse_without_object_lock(self)
        status, headers, answer = original(self, request, body, bucket_name, query, key_name)
        found = _UPLOAD_ID.search(answer if isinstance(answer, bytes) else answer.encode("utf-8"))
        multipart = self.backend.get_bucket(bucket_name).multiparts.get(found.group(1).decode("utf-8")) if found else None
        if multipart is not None:
            setattr(multipart, _ATTRIBUTE, {"lock_mode": request.headers.get(LOCK_HEADERS[0]), "lock_until": request.headers.get(LOCK_HEADERS[1]),
                                            "lock_legal_status": request.headers.get(LOCK_HEADERS[2])})
        return status, headers, answer
    return key_response_post


def _patched_complete(original):
    def complete_multipart_upload(self, bucket_name, multipart_id, body):
        key = original(self, bucket_name, multipart_id, body)
        lock = getattr(getattr(key, "multipart", None), _ATTRIBUTE, None)
        if key is not None and lock:
            key.lock_mode, key.lock_until, key.lock_legal_status = lock["lock_mode"], lock["lock_until"], lock["lock_legal_status"]
        return key
    return complete_multipart_upload


def install():
    """Patch moto's CopyObject, CreateMultipartUpload and CompleteMultipartUpload handling (once per lab process)."""
    S3Response._key_response_put = _patched_put(S3Response._key_response_put)  # pylint: disable=protected-access
    S3Response._key_response_post = _patched_post(S3Response._key_response_post)  # pylint: disable=protected-access
    S3Backend.complete_multipart_upload = _patched_complete(S3Backend.complete_multipart_upload)
