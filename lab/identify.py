"""Tell which AWS service, action and wire protocol a WSGI request is, and what parameters it carries."""
import io
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from lab.s3_actions import s3_action, s3_bucket_and_key

_SCOPE = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/([^/]+)/aws4_request")
_QUERY_SCOPE = re.compile(r"^([^/]+)/[^/]+/([^/]+)/([^/]+)/aws4_request$")
# Classic ELB and ELBv2 share the signing name: only the API version tells them apart.
_ELB_BY_VERSION = {"2012-06-01": "elb", "2015-12-01": "elbv2"}
# Services whose JSON-protocol target prefix identifies them when a request is unsigned.
_TARGET_PREFIXES = {"AmazonSSM": "ssm", "TrentService": "kms"}
_SECRET_MARKERS = ("X-Amz-Signature", "X-Amz-Credential")
_SIGNING_HEADERS = frozenset({"x-amz-date", "x-amz-content-sha256", "x-amz-security-token"})
REDACTED = "<redacted>"


@dataclass
class Call:
    """One AWS API request as the lab sees it."""

    service: str
    action: str
    protocol: str  # "ec2", "query", "json" or "rest-xml"
    region: str
    access_key: str
    params: dict = field(default_factory=dict)
    method: str = "GET"
    query: dict = field(default_factory=dict)  # the decoded query string (never logged)
    user_agent: str = ""
    amz_headers: tuple = ()  # names of the x-amz-* request headers, lower case (values are never logged)
    expected_bucket_owner: str = ""  # S3's x-amz-expected-bucket-owner (an account id), for the bucket-owner correction


def _amz_header_names(environ):
    """What an S3 request asks for beyond its path: Object Lock retention, tagging, a copy source...
    (the names only, and not those of the signature: date, payload hash, session token)."""
    names = (name[5:].lower().replace("_", "-") for name in environ if name.startswith("HTTP_X_AMZ_"))
    return tuple(sorted(name for name in names if name not in _SIGNING_HEADERS))


def _credential_scope(environ, query):
    """(access key, region, signing name) from the SigV4 Authorization header or a presigned URL."""
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match.groups()
    match = _QUERY_SCOPE.match(query.get("X-Amz-Credential", ""))
    if match:
        return match.groups()
    return "", "us-east-1", ""


def read_body(environ):
    """Read the request body and put an equivalent stream back for the application behind us."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _form(text):
    return dict(parse_qsl(text, keep_blank_values=True))


def redact(value):
    """Replace every string that holds a signature or credential scope, at any depth."""
    if isinstance(value, str):
        return REDACTED if any(marker in value for marker in _SECRET_MARKERS) else value
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def _json_call(environ, body, base):
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    prefix, _dot, action = target.partition(".")
    try:
        params = json.loads(body or b"{}")
    except ValueError:
        params = {}
    service = base.service or _TARGET_PREFIXES.get(prefix, prefix.lower())
    return Call(service, action, "json", base.region, base.access_key, params, base.method, base.query, base.user_agent, base.amz_headers)


def _query_call(form, base):
    params = {key: value for key, value in form.items() if key not in ("Action", "Version")}
    service = base.service
    if service == "elasticloadbalancing":
        service = _ELB_BY_VERSION.get(form.get("Version", ""), "elbv2")
    protocol = "ec2" if service == "ec2" else "query"
    return Call(service or "unknown", form["Action"], protocol, base.region, base.access_key, params, base.method, base.query,
                base.user_agent, base.amz_headers)


def _s3_call(environ, query, base):
    bucket, key = s3_bucket_and_key(environ)
    params = {"bucket": bucket, "key": key}
    if "versionId" in query:
        params["version_id"] = query["versionId"]
    action = s3_action(environ["REQUEST_METHOD"], bucket, key, query, environ)
    return Call("s3", action, "rest-xml", base.region, base.access_key, params, base.method, base.query, base.user_agent, base.amz_headers,
                environ.get("HTTP_X_AMZ_EXPECTED_BUCKET_OWNER", ""))


def identify(environ):
    """Return the Call a request is. Reads (and restores) the body of every non-S3 request."""
    query = _form(environ.get("QUERY_STRING", ""))
    access_key, region, signing_name = _credential_scope(environ, query)
    base = Call(signing_name, "", "", region, access_key, method=environ["REQUEST_METHOD"], query=query,
                user_agent=environ.get("HTTP_USER_AGENT", ""), amz_headers=_amz_header_names(environ))
    if signing_name == "s3":
        return _s3_call(environ, query, base)
    body = read_body(environ)
    if environ.get("HTTP_X_AMZ_TARGET"):
        return _json_call(environ, body, base)
    form = dict(query)
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form.update(_form(body.decode("utf-8", "replace")))
    if "Action" in form:
        return _query_call(form, base)
    # moto routes anything else (unsigned, no action) to S3, and so do we.
    return _s3_call(environ, query, base)
