# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One retry policy for every AWS call, paginated reads and waits included.

Throttling (RequestLimitExceeded, Throttling) is normal when many instances are
handled at once; calls back off with jitter instead of being serialised. The
first delay is short so that one throttled call does not cost seconds.

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

DEFAULT_RETRY = AWSRetry.jittered_backoff(retries=12, delay=0.5, backoff=2.0, max_delay=20, catch_extra_error_codes=THROTTLING_CODES)


def paginate(client, operation, **parameters):
    """All pages of a paginated read (boto3 operation name, e.g. "describe_instances"), merged, with retries."""
    return paginated_query_with_retries(client, operation, retry_decorator=DEFAULT_RETRY, **parameters)


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
