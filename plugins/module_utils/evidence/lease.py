# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A per-ticket lease in the evidence bucket: one run of a ticket acts at a time.

``s3://<bucket>/<ticket>/lease.json`` holds its holder (run id, playbook, actor, host, start) and an
expiry. It is taken with a conditional PutObject (If-None-Match: * when there is none, If-Match: <ETag>
of a released or expired one), so of two runs that try at once S3 lets exactly one succeed; released by
writing it back as released (If-Match: the holder's own ETag, so an expired lease another run took over
is left to that run). Every lease version stays in the versioned bucket: who held the ticket, and when.
No locking service of AWS is needed beyond S3's conditional writes (S3 User Guide, "Conditional writes").
"""

import datetime
import json
import socket
import time
import uuid

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import CONDITION_FAILED
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import put_record
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import read_for_update
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import write_condition

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

LEASE_NAME = "lease.json"
HELD, RELEASED = "held", "released"
# How often a waiting run reads the lease again, in seconds.
POLL_SECONDS = 2.0


class LeaseHeld(AwsIrError):
    """Another run holds the ticket's lease; the message names it."""


def lease_key(ticket):
    return f"{ticket}/{LEASE_NAME}"


def _iso(moment):
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def describe(holder):
    """One line naming a lease holder."""
    return (f"run {holder.get('run_id')} ({holder.get('playbook')}) of {holder.get('actor')} on {holder.get('host')}, "
            f"started {holder.get('started_at')}, lease until {holder.get('expires_at')}")


def free(holder, now):
    """Whether a lease record (or None) can be taken: none, released, or expired."""
    return holder is None or holder.get("state") == RELEASED or _parse(holder["expires_at"]) <= now


class Lease:
    """The lease of one ticket in one bucket. log: the module's ActionLog (the lease writes are its actions)."""

    def __init__(self, log, client, bucket, ticket):
        self.log, self.client, self.bucket, self.ticket = log, client, bucket, ticket
        self.key = lease_key(ticket)

    def read(self):
        """(holder dict or None, ETag or None)."""
        body, _version, etag = read_for_update(self.client, self.bucket, self.key)
        return (json.loads(body) if body is not None else None), etag

    def _put(self, record, etag):
        body = (json.dumps(record, sort_keys=True) + "\n").encode("utf-8")
        put_record(self.log, self.client, self.bucket, self.key, body, "application/json", None, condition=write_condition(etag))

    def take(self, owner, duration, wait_timeout, clock=time.monotonic, sleep=time.sleep):
        """Take the lease for owner ({"playbook", "actor", "host"}); returns (record, taken_over holder or None, seconds waited).

        Waits up to wait_timeout seconds for a run that holds it; raises LeaseHeld naming that run after.
        """
        # Not retry.poll: each round may write (a conditional PutObject) and a lost race reads again at once, without waiting.
        start = clock()
        while True:
            holder, etag = self.read()
            now = datetime.datetime.now(datetime.timezone.utc)
            if free(holder, now):
                record = dict(owner, ticket=self.ticket, state=HELD, run_id=str(uuid.uuid4()), started_at=_iso(now),
                              expires_at=_iso(now + datetime.timedelta(seconds=duration)))
                try:
                    self._put(record, etag)
                except is_boto3_error_code(CONDITION_FAILED):
                    continue  # another run took it between our read and our write
                taken_over = holder if holder is not None and holder.get("state") == HELD else None
                return record, taken_over, clock() - start
            waited = clock() - start
            if waited >= wait_timeout:
                raise LeaseHeld(f"ticket {self.ticket} is being handled by another run: {describe(holder)} "
                                f"(s3://{self.bucket}/{self.key}); waited {waited:.0f} s of lease_wait_timeout {wait_timeout} s. "
                                "Nothing was changed: run again once it has ended, or after its lease expires")
            sleep(min(POLL_SECONDS, wait_timeout - waited))

    def release(self, run_id):
        """Write the lease back as released if run_id still holds it; returns whether it did (False: expired and taken over, or gone).

        In check mode (where take() wrote nothing) the write is planned.
        """
        if self.log.check_mode:
            self._put({"ticket": self.ticket, "run_id": run_id, "state": RELEASED}, None)
            return True
        holder, etag = self.read()
        if holder is None or holder.get("run_id") != run_id or holder.get("state") != HELD:
            return False
        try:
            self._put(dict(holder, state=RELEASED, released_at=_iso(datetime.datetime.now(datetime.timezone.utc))), etag)
        except is_boto3_error_code(CONDITION_FAILED):
            return False
        return True


def timing_problem(options):
    """The message refusing options' duration (at least 1 s) or wait_timeout (at least 0 s), or None."""
    for name, least in (("duration", 1), ("wait_timeout", 0)):
        if options[name] < least:
            return f"{name} {options[name]} is out of range: a number of seconds, at least {least}"
    return None


def take_for_run(module, lease, playbook, duration, wait_timeout):
    """Take lease for this run (module: the AwsIrModule); returns {"lease", "taken_over", "waited_seconds"} for the module's result.

    Check mode writes nothing and does not wait: it plans the PutObject, or warns naming the run that holds the lease
    (lease None). The record taken is also put in module.partial, so a failure later in the same module still hands
    the run id that releases it.
    """
    identity = module.caller_identity()
    owner = {"playbook": playbook, "actor": identity["Arn"], "host": socket.gethostname()}
    try:
        record, taken_over, waited = lease.take(owner, duration, 0 if module.check_mode else wait_timeout)
    except LeaseHeld as e:
        if not module.check_mode:
            raise
        module.warn(f"a run now would wait or stop: {e}")
        return {"lease": None, "taken_over": None, "waited_seconds": 0.0}
    module.partial["lease"] = record
    if taken_over is not None:
        module.warn(f"the lease of ticket {lease.ticket} had expired and was taken over from {describe(taken_over)}")
    return {"lease": record, "taken_over": taken_over, "waited_seconds": round(waited, 1)}
