"""The per-ticket lease: a lease that expired is taken over, one held is waited for (a bounded time) and then named,
a lost race reads again, and a run whose lease was taken over does not release the new holder's."""

import datetime

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import lease as lease_mod
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.lease import Lease
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.lease import LeaseHeld

OWNER = {"playbook": "respond.yml", "actor": "arn:aws:sts::123456789012:assumed-role/ir/alice", "host": "laptop"}


def _at(seconds_from_now):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def holder(run_id, expires_in, state="held"):
    return {"run_id": run_id, "playbook": "respond.yml", "actor": "arn:aws:sts::123456789012:assumed-role/ir/bob", "host": "awx-1",
            "started_at": _at(-60), "expires_at": _at(expires_in), "state": state, "ticket": "INC-1"}


class ScriptedLease(Lease):
    """A Lease whose reads answer from a script ((holder, etag) per read) and whose writes are kept (or refused)."""

    def __init__(self, reads, refuse_writes=0, aws_error=None):
        super().__init__(log=None, client=None, bucket="evidence", ticket="INC-1")
        self.reads, self.refuse_writes, self.writes, self.aws_error = list(reads), refuse_writes, [], aws_error

    def read(self):
        return self.reads.pop(0) if len(self.reads) > 1 else self.reads[0]

    def _put(self, record, etag):
        if self.refuse_writes:
            self.refuse_writes -= 1
            raise self.aws_error("PreconditionFailed", "PutObject")
        self.writes.append((record, etag))


def test_an_expired_lease_is_taken_over_with_the_expired_holders_etag_and_named(clock):
    expired = holder("run-old", expires_in=-1)
    lease = ScriptedLease([(expired, '"etag-old"')])
    _record, taken_over, waited = lease.take(OWNER, duration=7200, wait_timeout=120, clock=clock, sleep=clock.sleep)
    assert taken_over == expired and waited == 0
    [(written, etag)] = lease.writes
    assert etag == '"etag-old"'  # If-Match: a run that renewed or released it meanwhile makes this write fail
    assert written["state"] == "held" and written["run_id"] != "run-old" and written["actor"] == OWNER["actor"]


def test_a_held_lease_is_waited_for_and_taken_once_released(clock):
    held, released = holder("run-a", expires_in=600), holder("run-a", expires_in=600, state="released")
    lease = ScriptedLease([(held, '"e1"'), (held, '"e1"'), (released, '"e2"')])
    _record, taken_over, waited = lease.take(OWNER, duration=7200, wait_timeout=120, clock=clock, sleep=clock.sleep)
    assert taken_over is None  # a released lease is free, not taken from anyone
    assert clock.sleeps == [lease_mod.POLL_SECONDS, lease_mod.POLL_SECONDS] and waited == 2 * lease_mod.POLL_SECONDS
    assert [etag for _r, etag in lease.writes] == ['"e2"']


def test_a_lease_held_beyond_the_wait_names_its_holder_and_writes_nothing(clock):
    lease = ScriptedLease([(holder("run-a", expires_in=600), '"e1"')])
    with pytest.raises(LeaseHeld) as refused:
        lease.take(OWNER, duration=7200, wait_timeout=5, clock=clock, sleep=clock.sleep)
    message = str(refused.value)
    assert "run run-a (respond.yml) of arn:aws:sts::123456789012:assumed-role/ir/bob on awx-1" in message
    assert "waited 5 s of lease_wait_timeout 5 s. Nothing was changed" in message
    assert clock.now == 5 and all(s <= lease_mod.POLL_SECONDS for s in clock.sleeps) and lease.writes == []


def test_a_race_lost_between_read_and_write_reads_again(aws_error):
    lease = ScriptedLease([(None, None), (holder("run-b", expires_in=-1), '"e-b"')], refuse_writes=1, aws_error=aws_error)
    _record, taken_over, _waited = lease.take(OWNER, duration=60, wait_timeout=0)
    assert taken_over["run_id"] == "run-b" and [etag for _r, etag in lease.writes] == ['"e-b"']


def test_a_run_whose_lease_was_taken_over_leaves_the_new_holders_lease_alone():
    lease = ScriptedLease([(holder("run-new", expires_in=600), '"e-new"')])
    lease.log = type("Log", (), {"check_mode": False})()
    assert lease.release("run-old") is False and lease.writes == []
