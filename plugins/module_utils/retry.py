# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One retry policy for every AWS call, paginated reads and waits included.

Throttling (RequestLimitExceeded, Throttling) is normal when many instances are
handled at once; calls back off with jitter instead of being serialised. The
first delay is short so that one throttled call does not cost seconds. A call
still throttled when its retries run out is reported as throttled, never as refused.

A throttled request is refused before AWS acts on it, so retrying it repeats
nothing, creates (CreateSnapshots, CreateSecurityGroup, SendCommand) included.
"""

import time

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

DEFAULT_RETRY = AWSRetry.jittered_backoff(retries=RETRY_ATTEMPTS, delay=0.5, backoff=2.0, max_delay=20, catch_extra_error_codes=THROTTLING_CODES)


def paginate(client, operation, **parameters):
    """All pages of a paginated read (boto3 operation name, e.g. "describe_instances"), merged, with retries."""
    return paginated_query_with_retries(client, operation, retry_decorator=DEFAULT_RETRY, **parameters)


def throttled_code(error):
    """The throttling code of a botocore ClientError (one of THROTTLED), or None for any other error."""
    code = str(error.response.get("Error", {}).get("Code"))
    return code if code in THROTTLED else None


def describe_throttled(error, account, region):
    """What to tell the responder when a call is still throttled after every retry (error: its last ClientError).

    Every attempt of the collection's policy ended in botocore's own retries (AWS_MAX_ATTEMPTS) being spent,
    so the attempts multiply. account: None while GetCallerIdentity has not answered.
    """
    botocore_attempts = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
    where = f"account {account}" if account else "the account of these credentials (not yet identified)"
    return (f"AWS throttled {error.operation_name} ({throttled_code(error)}) in {where}, Region {error_region(error, region)}, "
            f"{RETRY_ATTEMPTS * botocore_attempts} attempts in a row ({RETRY_ATTEMPTS} of the collection's retry policy, each of "
            f"{botocore_attempts} by botocore): the request rate of this API is exhausted, the credentials were not refused; "
            "a throttled request changes nothing. Run again when fewer requests are made, or ask AWS for a higher rate")


def error_region(error, region):
    """The Region an error came from: the one the module was given (S3 names the bucket's in x-amz-bucket-region)."""
    return error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-bucket-region") or region


def chunks(items, size=FILTER_VALUES_MAX):
    """Successive slices of the sequence items, of at most size elements: one describe call each."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def poll(read, done, wait_timeout, delay):
    """Call read() every delay seconds until done(its value), or wait_timeout (seconds) has run out; returns (value, done).

    read() reads through the retries above. botocore's waiters are not used: they poll with the bare
    client, so one throttled poll would end the wait as if the state had failed.
    """
    deadline = time.monotonic() + wait_timeout
    while True:
        value = read()
        if done(value):
            return value, True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return value, False
        time.sleep(min(delay, remaining))
