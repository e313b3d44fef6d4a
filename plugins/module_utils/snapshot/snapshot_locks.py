# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""EBS snapshot lock (LockSnapshot) of the evidence snapshots, and how a lock is recorded.

A locked snapshot cannot be deleted. In governance mode a permitted user can unlock it; in
compliance mode, once its cooling-off period is over, nobody can, not even the account's root
user, until the lock expires (EBS User Guide, Snapshot lock concepts). Limits from the EC2 API
Reference, LockSnapshot: LockDuration 1..36500 days, or an ExpirationDate; CoolOffPeriod 1..72
hours, compliance mode only.
"""

import datetime

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.snapshots import iso_time

MODES = ("governance", "compliance")
DURATION_DAYS = (1, 36500)
COOL_OFF_HOURS = (1, 72)
# Lock states in which the snapshot cannot be deleted (LockedSnapshotsInfo.LockState; the fourth is "expired").
LOCKED_STATES = ("governance", "compliance-cooloff", "compliance")


class LockError(AwsIrError, ValueError):
    """A lock setting AWS would refuse; the message names the field and the value."""


def _within(field, value, bounds, unit):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
        raise LockError(f"{field}: {value!r} is outside {bounds[0]}..{bounds[1]} {unit} (EC2 LockSnapshot)")
    return value


def _expiration(field, text, now):
    try:
        moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise LockError(f"{field}: {text!r} is not an ISO 8601 date and time (for example 2031-01-01T00:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    if moment <= now:
        raise LockError(f"{field}: {text!r} is not in the future")
    return moment


def validate_lock(lock, field, now=None):
    """The LockSnapshot parameters (without SnapshotId) of a lock option, checked as AWS checks them.

    lock: {mode, duration_days | expiration_date, cool_off_period_hours}. Raises LockError naming
    field.<key> and the value.
    """
    mode = lock.get("mode")
    if mode not in MODES:
        raise LockError(f"{field}.mode: {mode!r} is not one of {', '.join(MODES)}")
    duration = _within(f"{field}.duration_days", lock.get("duration_days"), DURATION_DAYS, "days")
    cool_off = _within(f"{field}.cool_off_period_hours", lock.get("cool_off_period_hours"), COOL_OFF_HOURS, "hours")
    expiration = lock.get("expiration_date")
    if (duration is None) == (expiration is None):
        raise LockError(f"{field} needs duration_days or expiration_date, not both (got {'both' if duration else 'neither'})")
    if cool_off is not None and mode != "compliance":
        raise LockError(f"{field}.cool_off_period_hours is for compliance mode only (mode is {mode})")
    parameters = {"LockMode": mode}
    if duration is not None:
        parameters["LockDuration"] = duration
    else:
        parameters["ExpirationDate"] = _expiration(f"{field}.expiration_date", expiration,
                                                   now or datetime.datetime.now(datetime.timezone.utc))
    if cool_off is not None:
        parameters["CoolOffPeriod"] = cool_off
    return parameters


def describe_lock(info):
    """A lock as recorded in the evidence (DescribeLockedSnapshots' or LockSnapshot's answer)."""
    recorded = {
        "mode": "governance" if info.get("LockState") == "governance" else "compliance",
        "state": info.get("LockState"),
        "expires_on": iso_time(info.get("LockExpiresOn")),
        "created_on": iso_time(info.get("LockCreatedOn")),
    }
    if info.get("LockDuration") is not None:
        recorded["duration_days"] = info["LockDuration"]
    if info.get("CoolOffPeriod") is not None:
        recorded.update(cool_off_period_hours=info["CoolOffPeriod"], cool_off_expires_on=iso_time(info.get("CoolOffPeriodExpiresOn")))
    return recorded


def current_locks(client, snapshot_ids):
    """{snapshot_id: lock info} of the snapshots among snapshot_ids that are locked now (DescribeLockedSnapshots)."""
    if not snapshot_ids:
        return {}
    found = client.describe_locked_snapshots(aws_retry=True, SnapshotIds=sorted(snapshot_ids))["Snapshots"]
    return {s["SnapshotId"]: s for s in found if s.get("LockState") in LOCKED_STATES}


def _wanted_expiry(parameters, current):
    """When the wanted lock would expire, counted as AWS does from the lock's first start."""
    if "ExpirationDate" in parameters:
        return parameters["ExpirationDate"]
    start = current.get("LockDurationStartTime") if current else None
    return (start or datetime.datetime.now(datetime.timezone.utc)) + datetime.timedelta(days=parameters["LockDuration"])


def holds(current, parameters):
    """Whether the current lock already gives what parameters ask: same mode, expiring no earlier."""
    if current is None:
        return False
    mode = "governance" if current["LockState"] == "governance" else "compliance"
    return mode == parameters["LockMode"] and current["LockExpiresOn"] >= _wanted_expiry(parameters, current)


def lock(log, client, entry, parameters, current, target, instance_id):
    """LockSnapshot on entry's snapshot unless its current lock already holds; record the lock in entry["lock"].

    A compliance lock past its cooling-off period can only be extended: AWS refuses anything
    else, and the ClientError is raised after being recorded.
    """
    if holds(current, parameters):
        entry["lock"] = describe_lock(current)
        return
    call = dict(parameters, SnapshotId=entry["snapshot_id"])
    before = describe_lock(current) if current else None
    answer = log.call(client, "ec2", "LockSnapshot", target, call, instance_ids=[instance_id], before=before,
                      recorded={k: iso_time(v) for k, v in call.items()}, after_from=describe_lock)
    entry["lock"] = describe_lock(answer) if answer else dict(mode=parameters["LockMode"], state="planned")
