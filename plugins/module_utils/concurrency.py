# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Per-resource AWS calls made side by side, at most MAX_WORKERS at a time.

Several calls have no batch form (one attribute per ModifyInstanceAttribute, one
interface per ModifyNetworkInterfaceAttribute, one CreateSnapshots per instance,
one ListCommandInvocations per instance, one GetObject per object): made one
after another, fifty instances cost hundreds of round trips in a row. boto3
clients are thread safe, so the calls for different resources go on a bounded
thread pool; throttling is still retried with backoff by each call (retry.py),
not avoided by serialising.

When one call fails, the work not started yet is not started, the work already
running finishes (a call in flight cannot be taken back, and its record must be
complete), and the first failure in the order of the items is raised.
"""

from concurrent.futures import FIRST_EXCEPTION
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait

# botocore keeps at most 10 connections per client (max_pool_connections): more threads would only queue.
MAX_WORKERS = 10


def map_concurrently(function, items, workers=MAX_WORKERS):
    """[function(item) for item in items], at most `workers` at a time; the results in the order of items."""
    items = list(items)
    if len(items) < 2 or workers < 2:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        futures = [pool.submit(function, item) for item in items]
        wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            future.cancel()  # only those not started yet; none left when nothing failed
    for future in futures:
        if not future.cancelled() and future.exception() is not None:
            raise future.exception()
    return [future.result() for future in futures]


def each_recorded(log, function, items, workers=MAX_WORKERS):
    """[function(branch, item) for item in items] concurrently, each item with its own branch of log (actions.ActionLog).

    The branches' records are merged into log in the order of items, also when a call fails.
    """
    items = list(items)
    branches = [log.branch() for _item in items]
    try:
        return map_concurrently(lambda pair: function(*pair), list(zip(branches, items)), workers)
    finally:
        log.merge(branches)


def side_by_side(*calls):
    """[call() for call in calls], made concurrently (independent reads); the first failure in the order of calls is raised."""
    return map_concurrently(lambda call: call(), calls, workers=len(calls))
