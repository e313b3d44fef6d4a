"""Name the S3 REST API action of a request from its method, path and query string."""
import ipaddress
from urllib.parse import unquote

# Bucket sub-resources: query key -> the noun in Get<noun> / Put<noun> / Delete<noun>.
_BUCKET_SUBRESOURCES = {
    "versioning": "BucketVersioning",
    "object-lock": "ObjectLockConfiguration",
    "encryption": "BucketEncryption",
    "policy": "BucketPolicy",
    "policyStatus": "BucketPolicyStatus",
    "tagging": "BucketTagging",
    "publicAccessBlock": "PublicAccessBlock",
    "acl": "BucketAcl",
    "lifecycle": "BucketLifecycleConfiguration",
    "cors": "BucketCors",
    "notification": "BucketNotificationConfiguration",
    "ownershipControls": "BucketOwnershipControls",
    "logging": "BucketLogging",
    "website": "BucketWebsite",
    "replication": "BucketReplication",
    "accelerate": "BucketAccelerateConfiguration",
    "requestPayment": "BucketRequestPayment",
    "location": "BucketLocation",
}
_OBJECT_SUBRESOURCES = {
    "attributes": "ObjectAttributes",
    "retention": "ObjectRetention",
    "legal-hold": "ObjectLegalHold",
    "tagging": "ObjectTagging",
    "acl": "ObjectAcl",
}


def _virtual_host_bucket(host):
    """The bucket of a virtual-hosted-style request (bucket.localhost, bucket.s3.amazonaws.com), else None."""
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host
    try:
        ipaddress.ip_address(name.strip("[]"))
        return None
    except ValueError:
        pass
    labels = name.split(".")
    if len(labels) > 1 and (labels[1] == "localhost" or labels[1].startswith("s3")):
        return labels[0]
    return None


def s3_bucket_and_key(environ):
    """(bucket, key) of an S3 request; either may be None."""
    path = unquote(environ.get("PATH_INFO", ""))
    host_bucket = _virtual_host_bucket(environ.get("HTTP_HOST", ""))
    if host_bucket:
        return host_bucket, path.lstrip("/") or None
    bucket, _slash, key = path.lstrip("/").partition("/")
    return bucket or None, key or None


def _subresource(query, table):
    return next((table[name] for name in query if name in table), None)


def _bucket_action(method, query):
    noun = _subresource(query, _BUCKET_SUBRESOURCES)
    if method == "HEAD":
        return "HeadBucket"
    if method == "POST":
        return "DeleteObjects" if "delete" in query else "PostBucket"
    if noun:
        return {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(method, method.title()) + noun
    if method == "GET":
        if "versions" in query:
            return "ListObjectVersions"
        if "uploads" in query:
            return "ListMultipartUploads"
        return "ListObjectsV2" if query.get("list-type") == "2" else "ListObjects"
    return {"PUT": "CreateBucket", "DELETE": "DeleteBucket"}.get(method, method.title() + "Bucket")


def _object_action(method, query, environ):
    copying = "HTTP_X_AMZ_COPY_SOURCE" in environ
    if method == "POST":
        if "uploads" in query:
            return "CreateMultipartUpload"
        if "uploadId" in query:
            return "CompleteMultipartUpload"
        return "RestoreObject" if "restore" in query else "PostObject"
    if "uploadId" in query:
        by_method = {"PUT": "UploadPartCopy" if copying else "UploadPart", "GET": "ListParts", "DELETE": "AbortMultipartUpload"}
        return by_method.get(method, method.title() + "Part")
    noun = _subresource(query, _OBJECT_SUBRESOURCES)
    if noun:
        return {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(method, method.title()) + noun
    if method == "PUT":
        return "CopyObject" if copying else "PutObject"
    return {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method, method.title() + "Object")


def s3_action(method, bucket, key, query, environ):
    """The S3 API action name for a request."""
    if not bucket:
        return "ListBuckets"
    if not key:
        return _bucket_action(method, query)
    return _object_action(method, query, environ)
