"""AWS error responses in each wire protocol, and reading the error code back out of a response."""
import json
import re
import uuid
from xml.sax.saxutils import escape

from moto.core.serialize import EC2Serializer, XFormedAttributePicker
from moto.core.utils import get_service_model

_XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")
# The default HTTP status of each kind of injected error, as AWS sends it.
THROTTLE = {
    "ec2": ("RequestLimitExceeded", 503, "Request limit exceeded."),
    "query": ("Throttling", 400, "Rate exceeded"),
    "json": ("ThrottlingException", 400, "Rate exceeded"),
    # GuardDuty and Security Hub (REST-JSON) answer throttling with 429 TooManyRequestsException.
    "rest-json": ("TooManyRequestsException", 429, "Rate exceeded"),
    "rest-xml": ("SlowDown", 503, "Please reduce your request rate."),
}


def _ec2_body(code, message, request_id):
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{escape(code)}</Code>'
        f"<Message>{escape(message)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
    )


def _query_body(code, message, request_id, status):
    kind = "Receiver" if status >= 500 else "Sender"
    return (
        f'<ErrorResponse xmlns="https://aws.amazon.com/"><Error><Type>{kind}</Type><Code>{escape(code)}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )


def _s3_body(code, message, request_id):
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>'
        f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
    )


def error_response(protocol, code, message, status, method="POST"):
    """(status, headers, body bytes) of an AWS error in the request's protocol."""
    request_id = str(uuid.uuid4())
    if protocol in ("json", "rest-json"):
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id)]
        if protocol == "rest-json":
            headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", code)]
        body = json.dumps({"__type": code, "message": message})
    elif protocol == "ec2":
        headers = [("Content-Type", "text/xml;charset=UTF-8")]
        body = _ec2_body(code, message, request_id)
    elif protocol == "rest-xml":
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
        # A HEAD response has no body: clients see only the status, as with real S3.
        body = "" if method == "HEAD" else _s3_body(code, message, request_id)
    else:
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
        body = _query_body(code, message, request_id, status)
    data = body.encode("utf-8")
    return status, headers + [("Content-Length", str(len(data)))], data


def json_response(payload, status=200, content_type="application/x-amz-json-1.1"):
    """(status, headers, body bytes) of a successful JSON-protocol (or, with application/json, REST-JSON) answer."""
    data = json.dumps(payload).encode("utf-8")
    headers = [("Content-Type", content_type), ("x-amzn-RequestId", str(uuid.uuid4()))]
    return status, headers + [("Content-Length", str(len(data)))], data


_EC2_PLACEHOLDER_ID = b"<requestId>request-id</requestId>"


def with_request_id(answer):
    """answer (status, headers, body bytes) with a request id of its own where moto gave every EC2 answer "request-id".

    AWS gives each request its own id, and the evidence manifest records it per action: a shared
    placeholder would make every EC2 action look like one request to an auditor.
    """
    status, headers, body = answer
    if _EC2_PLACEHOLDER_ID not in body:
        return answer
    body = body.replace(_EC2_PLACEHOLDER_ID, f"<requestId>{uuid.uuid4()}</requestId>".encode("utf-8"))
    return status, [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in headers], body


def ec2_answer(action, result):
    """(status, headers, body bytes) of a successful EC2 answer to action, serialized from result (boto3 shape) as moto does."""
    serializer = EC2Serializer(operation_model=get_service_model("ec2").operation_model(action), value_picker=XFormedAttributePicker())
    serialized = serializer.serialize(result)
    data = serialized["body"].encode("utf-8")
    headers = [("Content-Type", "text/xml;charset=UTF-8"), ("Content-Length", str(len(data)))]
    return with_request_id((serialized["status_code"], headers, data))


def error_code_of(status, body):
    """The AWS error code of a response, or None for a success. Body-less errors give the status, as botocore does."""
    if status < 400:
        return None
    text = body.lstrip()
    if text.startswith(b"{"):
        try:
            payload = json.loads(text)
        except ValueError:
            payload = {}
        code = payload.get("__type") or payload.get("code") or payload.get("Code")
        if code:
            return code.rsplit("#", 1)[-1].split(":", 1)[0]
    match = _XML_CODE.search(body)
    return match.group(1).decode("utf-8", "replace") if match else str(status)
