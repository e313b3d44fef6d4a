# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The action record: one entry per mutating AWS call, made or planned.

Every module routes its mutating calls through ActionLog.call so that the
evidence manifest can say, for each change, when it was made (UTC, milliseconds),
which API changed which resource with which parameters, what AWS answered (its
request id or error code) and the value before and after. In check mode the call
is not made and the record says "planned".

Calls made concurrently (concurrency.each_recorded) are each made through a
branch of the log, and the branches are merged back in the order of the
resources they concern, so that the record is complete and its order is fixed:
per step, the resources in the order given, each with its calls in order.
"""

import datetime
import re
import threading

try:
    from botocore import xform_name
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK.

from ansible_collections.secops.aws_ir.plugins.module_utils.retry import may_have_acted

OUTCOME_OK = "ok"
OUTCOME_PLANNED = "planned"
OUTCOME_ERROR = "error"

REDACTED = "<redacted>"
# Presigned URLs and credentials must never reach the manifest or task output.
_SECRET_IN_TEXT = re.compile(r"(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature=|AWSAccessKeyId=)", re.IGNORECASE)
_SECRET_KEYS = ("secret", "password", "token", "credential", "signature", "presigned")


def utc_now():
    """Current UTC time as ISO 8601 with milliseconds and a Z suffix (str)."""
    return utc_text(datetime.datetime.now(datetime.timezone.utc))


def utc_text(moment):
    """An aware datetime as the manifest writes every time: UTC, ISO 8601, milliseconds, Z suffix (str)."""
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def redact(value):
    """Return a copy of value with secrets replaced by "<redacted>".

    A dict entry is dropped to "<redacted>" when its key names a secret (token,
    password, signature, ...); a string is redacted when it carries a presigned
    URL's signature or credential. Lists and dicts are walked recursively.
    """
    if isinstance(value, dict):
        return {k: REDACTED if _is_secret_key(k) else redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str) and _SECRET_IN_TEXT.search(value):
        return REDACTED
    return value


def _is_secret_key(key):
    lowered = str(key).lower()
    return any(word in lowered for word in _SECRET_KEYS)


def request_id(response_metadata):
    """The AWS request id from a response's ResponseMetadata (S3 adds its host id)."""
    metadata = response_metadata or {}
    return metadata.get("RequestId") or metadata.get("HTTPHeaders", {}).get("x-amz-request-id")


def _mark_uncertain(record, error):
    """A server error (5xx) or no answer (timeout, connection) does not say AWS did not act: the record says the change
    may have happened (may_have_changed), since the call is not repeated (retry.py)."""
    if may_have_acted(error):
        record["may_have_changed"] = True


def took_effect(record):
    """Whether a record's call was made (or planned) and not refused: the one rule for a module's changed."""
    return record["outcome"] != OUTCOME_ERROR


class ActionLog:
    """Makes mutating AWS calls and keeps one record per call.

    records: list of dicts with keys time, stage, service, action, target,
    instance_ids, parameters, before, after, outcome ("ok", "planned" or
    "error"), error_code and request_id; an error that AWS may still have acted
    on (a 5xx answer, no answer) also has may_have_changed: true.
    """

    def __init__(self, stage, check_mode):
        self.stage = stage
        self.check_mode = check_mode
        self.records = []
        self._lock = threading.Lock()

    def branch(self):
        """A log for one of several concurrent tasks: same stage and mode, records of its own until merged."""
        return ActionLog(self.stage, self.check_mode)

    def merge(self, branches):
        """Append the records of branches (ActionLogs from branch()), branch after branch in the order given."""
        with self._lock:
            for branch in branches:
                self.records.extend(branch.records)

    @property
    def changed(self):
        """Whether a call was made (or planned) that did not fail: a refused call changed nothing (took_effect)."""
        return any(took_effect(r) for r in self.records)

    def call(self, client, service, action, target, parameters, instance_ids=None, before=None, after=None, recorded=None, after_from=None):
        """Call client.<action>(**parameters) with retries, or plan it in check mode.

        service: the AWS service's short name as in IAM actions (ec2, autoscaling, s3...).
        action: the AWS API name (ModifyInstanceAttribute); the boto3 method is derived from it.
        target: the resource the call changes (id, ARN or s3:// URI).
        instance_ids: the target instances this call concerns (list; empty for a
        shared resource such as a quarantine security group).
        recorded: the parameters to write in the record when they differ from the
        ones sent (never secrets); defaults to parameters, redacted.
        after_from: a function of the response that gives the "after" value when
        it is only known from AWS's answer (the id of what was created).
        Returns the boto3 response, or None in check mode. Raises the ClientError
        or BotoCoreError after recording it.
        """
        record = {
            "time": utc_now(),
            "stage": self.stage,
            "service": service,
            "action": action,
            "target": target,
            "instance_ids": list(instance_ids or []),
            "parameters": redact(parameters if recorded is None else recorded),
            "before": before,
            "after": after,
            "outcome": OUTCOME_PLANNED,
            "error_code": None,
            "request_id": None,
        }
        with self._lock:
            self.records.append(record)
        if self.check_mode:
            return None
        try:
            response = getattr(client, xform_name(action))(aws_retry=True, **parameters)
        except ClientError as e:
            record.update(outcome=OUTCOME_ERROR, error_code=e.response.get("Error", {}).get("Code"),
                          request_id=request_id(e.response.get("ResponseMetadata")))
            _mark_uncertain(record, e)
            raise
        except BotoCoreError as e:
            record.update(outcome=OUTCOME_ERROR, error_code=type(e).__name__)
            _mark_uncertain(record, e)
            raise
        record.update(outcome=OUTCOME_OK, request_id=request_id(response.get("ResponseMetadata")))
        if after_from is not None:
            record["after"] = after_from(response)
        return response
