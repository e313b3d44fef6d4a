"""Concurrent per-resource calls: bounded, results and records in the order of the items, failures complete."""
import threading

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils import concurrency
from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog

# Only a guard against a hang if the code under test were sequential; no assertion is about time.
GUARD_SECONDS = 30


def test_items_run_side_by_side_and_results_keep_the_order_of_the_items():
    # Three items that each wait for the other two: this finishes only if they run at the same time.
    barrier = threading.Barrier(3, timeout=GUARD_SECONDS)

    def meet(item):
        barrier.wait()
        return item * 10
    assert concurrency.map_concurrently(meet, [1, 2, 3]) == [10, 20, 30]


def test_never_more_than_the_bound_at_once():
    # Items meet four by four: more than four at once would break the barrier, fewer would never pass it.
    barrier = threading.Barrier(4, timeout=GUARD_SECONDS)
    lock, running, peak = threading.Lock(), [0], [0]

    def work(_item):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        barrier.wait()
        with lock:
            running[0] -= 1
    concurrency.map_concurrently(work, range(40), workers=4)
    assert peak[0] == 4


def test_running_work_finishes_and_the_first_failure_in_item_order_is_raised():
    later_failed = threading.Event()
    finished = []

    def work(item):
        if item == 2:
            later_failed.set()
            raise ValueError("item 2 failed")
        later_failed.wait(GUARD_SECONDS)  # items 0 and 1 are still running when item 2 fails
        if item == 1:
            raise ValueError("item 1 failed")
        finished.append(item)
    with pytest.raises(ValueError, match="item 1 failed"):
        concurrency.map_concurrently(work, [0, 1, 2], workers=3)
    assert finished == [0]


def test_records_merge_in_item_order_whatever_order_the_calls_end_in(fake_client):
    client = fake_client(modify_instance_attribute={"ResponseMetadata": {"RequestId": "r"}})
    first_may_go = threading.Event()
    log = ActionLog("containment", check_mode=False)

    def protect(branch, instance_id):
        if instance_id == "i-1":
            first_may_go.wait(GUARD_SECONDS)
        branch.call(client, "ec2", "ModifyInstanceAttribute", instance_id, {"InstanceId": instance_id}, instance_ids=[instance_id])
        if instance_id == "i-2":
            first_may_go.set()
        return instance_id
    assert concurrency.each_recorded(log, protect, ["i-1", "i-2"]) == ["i-1", "i-2"]
    # i-2's call was made first; the record still lists i-1 first, and the times say what happened.
    assert [r["target"] for r in log.records] == ["i-1", "i-2"]
    assert [name for name, _params in client.calls] == ["modify_instance_attribute"] * 2
    assert client.calls[0][1] == {"InstanceId": "i-2"}


def test_a_failed_call_leaves_every_record_made_before_and_beside_it(fake_client, aws_error):
    def answer(params):
        return aws_error("UnsupportedOperation") if params["InstanceId"] == "i-2" else {"ResponseMetadata": {"RequestId": "r"}}
    client = fake_client(modify_instance_attribute=answer)
    log = ActionLog("containment", check_mode=False)
    log.call(client, "ec2", "ModifyInstanceAttribute", "i-0", {"InstanceId": "i-0"})

    def protect(branch, instance_id):
        branch.call(client, "ec2", "ModifyInstanceAttribute", instance_id, {"InstanceId": instance_id}, instance_ids=[instance_id])
    with pytest.raises(Exception, match="UnsupportedOperation"):
        concurrency.each_recorded(log, protect, ["i-1", "i-2", "i-3"], workers=3)
    assert [(r["target"], r["outcome"]) for r in log.records] == [("i-0", "ok"), ("i-1", "ok"), ("i-2", "error"), ("i-3", "ok")]


def test_check_mode_branches_plan_and_call_nothing(fake_client):
    client = fake_client()
    log = ActionLog("snapshot", check_mode=True)
    concurrency.each_recorded(log, lambda branch, v: branch.call(client, "ec2", "CreateSnapshots", v, {"InstanceSpecification": {"InstanceId": v}}),
                              ["i-1", "i-2"])
    assert client.calls == []
    assert [(r["target"], r["outcome"], r["stage"]) for r in log.records] == [("i-1", "planned", "snapshot"), ("i-2", "planned", "snapshot")]


def test_one_log_called_from_many_threads_keeps_every_record(fake_client):
    client = fake_client(create_tags={"ResponseMetadata": {"RequestId": "r"}})
    log = ActionLog("snapshot", check_mode=False)
    concurrency.map_concurrently(lambda n: log.call(client, "ec2", "CreateTags", f"snap-{n}", {"Resources": [f"snap-{n}"], "Tags": []}), range(500))
    assert sorted(r["target"] for r in log.records) == sorted(f"snap-{n}" for n in range(500))


def test_side_by_side_runs_every_call_at_once_and_raises_the_failure_of_the_earliest_call():
    # Four calls that each wait for all the others: side_by_side ends only if all four run at the same time.
    barrier = threading.Barrier(4, timeout=GUARD_SECONDS)
    second_failed = threading.Event()

    def met(value):
        barrier.wait()
        return value

    def fails_after_the_second(message):
        barrier.wait()
        assert second_failed.wait(GUARD_SECONDS)
        raise ValueError(message)

    def fails_first(message):
        barrier.wait()
        second_failed.set()
        raise ValueError(message)
    assert concurrency.side_by_side(lambda: met(1), lambda: met(2), lambda: met(3), lambda: met(4)) == [1, 2, 3, 4]
    barrier.reset()
    with pytest.raises(ValueError, match="^first in order$"):
        concurrency.side_by_side(lambda: met(1), lambda: fails_after_the_second("first in order"), lambda: fails_first("second in order"),
                                 lambda: met(4))
