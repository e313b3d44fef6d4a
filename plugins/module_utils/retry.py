# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One retry policy for every AWS call, paginated reads and waits included; botocore itself does not retry.

Throttling (RequestLimitExceeded, Throttling) is normal when many instances are
handled at once; calls back off with jitter instead of being serialised. The
first delay is short so that one throttled call does not cost seconds. A call
still throttled when its retries run out is reported as throttled, never as refused.

A throttled request is refused before AWS acts on it, so retrying it repeats
nothing, creates (CreateSnapshots, CreateSecurityGroup, SendCommand) included.
A server error (5xx) or a timeout says nothing of the kind: AWS may have acted.
So only reads are retried on a server error or without an answer, and a change is never repeated on
one (CreateSnapshots and SendCommand take no client token that would let AWS
drop a repeat): it is recorded as an error that may have taken effect, and a
re-run finds what exists. botocore's own retries (standard mode: three attempts,
5xx and timeouts included) are off in every client (CLIENT_RETRIES), so that this
policy is the only one.
"""

import time

try:
    from botocore.exceptions import ClientError
    from botocore.exceptions import NoCredentialsError
    from botocore.exceptions import ParamValidationError
    from botocore.retryhandler import EXCEPTION_MAP
    # No answer from AWS, as botocore's own retry handler names it: no connection (refused, closed, timed out) or no response in time.
    UNANSWERED = tuple(EXCEPTION_MAP["GENERAL_CONNECTION_ERROR"])
except ImportError:
    UNANSWERED = ()  # AnsibleAWSModule reports the missing SDK.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# AWSRetry already retries RequestLimitExceeded (EC2) and Throttling (Auto Scaling, ELB, STS, IAM and the
# other query APIs), but not what the JSON APIs (SSM, KMS) and S3 answer: ThrottlingException, SlowDown,
# and a bare 503 for a HEAD request, whose error has no body to name its code.
THROTTLING_CODES = ["ThrottlingException", "SlowDown", "503"]

# Most describe filters (EC2 and others) take at most 200 values.
FILTER_VALUES_MAX = 200

# What AWS answers when it throttles a request (EC2, the query APIs, the JSON APIs, S3, a bare 503 to an S3 HEAD).
THROTTLED = ("RequestLimitExceeded", "Throttling", *THROTTLING_CODES)

# AWSRetry's retries counts attempts: the 12th throttled answer is the last.
RETRY_ATTEMPTS = 12

# botocore Config(retries=...) of every client: one attempt per call, whatever AWS_MAX_ATTEMPTS or AWS_RETRY_MODE say.
# Legacy mode: with one attempt it retries nothing either, and unlike standard mode it does not add "(reached max
# retries: 0)" to the message of an error it would never have retried (AccessDenied, UnauthorizedOperation).
CLIENT_RETRIES = {"mode": "legacy", "total_max_attempts": 1}

# boto3 methods that only read (DescribeInstances, GetObject, ListCommandInvocations, HeadObject...): repeating one changes nothing.
_READS = ("describe_", "get_", "list_", "head_")


# The code ReadRetry gives an error of UNANSWERED, which has none from AWS.
_NO_ANSWER = "(no answer)"


class ReadRetry(AWSRetry):
    """AWSRetry for a read: also retried when AWS did not answer (UNANSWERED), since reading again repeats nothing.

    botocore retried those itself before clients were set to one attempt (CLIENT_RETRIES); a change never is.
    """

    base_class = (AWSRetry.base_class, *UNANSWERED)

    @staticmethod
    def status_code_from_exception(error):
        return AWSRetry.status_code_from_exception(error) if isinstance(error, AWSRetry.base_class) else _NO_ANSWER

    @staticmethod
    def found(response_code, catch_extra_error_codes=None):
        return response_code == _NO_ANSWER or AWSRetry.found(response_code, catch_extra_error_codes)


class ChangeRetry(AWSRetry):
    """AWSRetry for a call that may change something: retried only when AWS's answer says it did not act.

    Those answers are throttling and the codes a client names (catch_extra_error_codes, such as
    SnapshotCreationPerVolumeRateExceeded); never AWSRetry's server errors (InternalError, ServiceUnavailable...).
    """

    @staticmethod
    def found(response_code, catch_extra_error_codes=None):
        return response_code in THROTTLED or response_code in (catch_extra_error_codes or ())


def per_operation(read, change):
    """A retry decorator (RetryingBotoClientWrapper's retry) that retries a read with read and any other call with change.

    A method is a read by its name; a read named otherwise is retried as a change: fewer retries, never a repeat.
    """
    def decorator(method):
        return (read if getattr(method, "__name__", "").startswith(_READS) else change)(method)
    return decorator


def backoff(retry_class, codes, delay=0.5, max_delay=20):
    """The collection's jittered backoff (RETRY_ATTEMPTS attempts) with retry_class (ReadRetry or ChangeRetry) and extra codes."""
    return retry_class.jittered_backoff(retries=RETRY_ATTEMPTS, delay=delay, backoff=2.0, max_delay=max_delay, catch_extra_error_codes=list(codes))


READ_RETRY = backoff(ReadRetry, THROTTLING_CODES)
DEFAULT_RETRY = per_operation(READ_RETRY, backoff(ChangeRetry, ()))


def paginate(client, operation, **parameters):
    """All pages of a paginated read (boto3 operation name, e.g. "describe_instances"), merged, with retries."""
    return paginated_query_with_retries(client, operation, retry_decorator=READ_RETRY, **parameters)


def may_have_acted(error):
    """Whether a failed call may still have taken effect: AWS answered a server error (5xx) that is not throttling, or did not
    answer (a timeout, a lost connection). A 4xx answer, throttling and botocore's own checks before sending say it did not."""
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 and not throttled_code(error)
    return not isinstance(error, (ParamValidationError, NoCredentialsError))


def throttled_code(error):
    """The throttling code of a botocore ClientError (one of THROTTLED), or None for any other error."""
    code = str(error.response.get("Error", {}).get("Code"))
    return code if code in THROTTLED else None


def describe_not_repeated(error):
    """What to add to a failure's message when the failed call may have taken effect (may_have_acted), else ""."""
    if not may_have_acted(error):
        return ""
    call = error.operation_name if isinstance(error, ClientError) else "the call"
    return (f" ({call} was not repeated: AWS may or may not have acted on it, and a repeat could make the change twice; "
            "a re-run finds what exists and completes the rest)")


def describe_throttled(error, account, region):
    """What to tell the responder when a call is still throttled after every retry (error: its last ClientError).

    account: None while GetCallerIdentity has not answered. botocore makes one attempt per call (CLIENT_RETRIES).
    """
    where = f"account {account}" if account else "the account of these credentials (not yet identified)"
    return (f"AWS throttled {error.operation_name} ({throttled_code(error)}) in {where}, Region {error_region(error, region)}, "
            f"{RETRY_ATTEMPTS} attempts in a row (the collection's retry policy): the request rate of this API is exhausted, "
            "the credentials were not refused; a throttled request changes nothing. Run again when fewer requests are made, "
            "or ask AWS for a higher rate")


def error_region(error, region):
    """The Region an error came from: the one the module was given (S3 names the bucket's in x-amz-bucket-region)."""
    return error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-bucket-region") or region


def chunks(items, size=FILTER_VALUES_MAX):
    """Successive slices of the sequence items, of at most size elements: one describe call each."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def poll(read, done, wait_timeout, delay, backoff=1.0, max_delay=None, sleep=None, clock=None):  # pylint: disable=too-many-arguments
    """Call read() until done(its value), or wait_timeout (seconds) has run out; returns (value, done).

    The first wait is delay seconds, each next one backoff times longer, at most max_delay. read() reads
    through the retries above; it may raise to end the wait (a snapshot in the error state). sleep and clock
    (time.sleep, time.monotonic) are for tests. botocore's waiters are not used: they poll with the bare
    client, which makes one attempt per call (CLIENT_RETRIES), so one throttled poll would end the wait as if
    the state had failed (tests/lab/test_lab_waiters.py).
    """
    sleep, clock = sleep or time.sleep, clock or time.monotonic
    deadline = clock() + wait_timeout
    while True:
        value = read()
        if done(value):
            return value, True
        remaining = deadline - clock()
        if remaining <= 0:
            return value, False
        sleep(min(delay, remaining))
        delay = min(delay * backoff, max_delay or delay * backoff)
