# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One retry policy for every AWS call, paginated reads included.

Throttling (RequestLimitExceeded, Throttling) is normal when many instances are
handled at once; calls back off with jitter instead of being serialised. The
first delay is short so that one throttled call does not cost seconds.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

DEFAULT_RETRY = AWSRetry.jittered_backoff(retries=12, delay=0.5, backoff=2.0, max_delay=20)


def paginate(client, operation, **parameters):
    """All pages of a paginated read (boto3 operation name, e.g. "describe_instances"), merged, with retries."""
    return paginated_query_with_retries(client, operation, retry_decorator=DEFAULT_RETRY, **parameters)
