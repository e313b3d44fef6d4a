"""EBS snapshot lock (LockSnapshot, UnlockSnapshot, DescribeLockedSnapshots), which moto lacks, and DeleteSnapshot of a locked snapshot.

The lock is kept on moto's Snapshot object (attribute lab_lock), so that a lab reset wipes it with
the snapshot. Rules from the EC2 API Reference (LockSnapshot, UnlockSnapshot, LockedSnapshotsInfo)
and the EBS User Guide (Snapshot lock concepts):

- LockMode governance | compliance; exactly one of LockDuration (1..36500 days) and ExpirationDate;
  CoolOffPeriod (1..72 hours) only in compliance mode.
- Lock states: governance; compliance-cooloff (compliance, within the cooling-off period);
  compliance (after it); expired (the lock duration lapsed: the snapshot can be deleted).
- A governance or compliance-cooloff lock can be changed in any way and unlocked by a permitted user;
  a compliance lock after its cooling-off period can only be extended: no unlock, no shorter
  duration, no other mode, no CoolOffPeriod; not even the account's root user can.
- A locked snapshot cannot be deleted.

The error code of a refused DeleteSnapshot, UnlockSnapshot or shortening is "SnapshotLocked" in
the lab: the EC2 error code list read while building this did not name one (lab/README.md).
"""
import datetime

from lab import moto_state
from lab.corrections.params import numbered, numbered_structs
from lab.wire import ec2_answer, error_response

LOCK_CODE = "SnapshotLocked"
MODES = ("governance", "compliance")
DURATION_DAYS = (1, 36500)
COOL_OFF_HOURS = (1, 72)


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _error(call, code, message):
    return error_response(call.protocol, code, message, 400)


def _own_snapshot(call, account):
    """(snapshot, None) for a snapshot the caller owns, else (None, error answer)."""
    snapshot_id = call.params.get("SnapshotId", "")
    snapshot = moto_state.backend("ec2", account, call.region).snapshots.get(snapshot_id)
    if snapshot is None or getattr(snapshot, "lab_shared_view", False):
        return None, _error(call, "InvalidSnapshot.NotFound", f"The snapshot '{snapshot_id}' does not exist.")
    return snapshot, None


def lock_state(lock, now=None):
    """The documented lock state of a lab lock: governance, compliance-cooloff, compliance or expired."""
    now = now or _now()
    if now >= lock["expires_on"]:
        return "expired"
    if lock["mode"] == "governance":
        return "governance"
    cool_off_end = lock.get("cool_off_expires_on")
    return "compliance-cooloff" if cool_off_end and now < cool_off_end else "compliance"


def _int_param(call, name, bounds):
    """(value or None, error answer or None) of an integer parameter within bounds."""
    raw = call.params.get(name)
    if raw is None:
        return None, None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not bounds[0] <= value <= bounds[1]:
        return None, _error(call, "InvalidParameterValue", f"{name} must be between {bounds[0]} and {bounds[1]} (got {raw})")
    return value, None


def _requested(call):
    """(request {mode, duration, expiration, cool_off}, None) or (None, error answer) after the parameter checks."""
    mode = call.params.get("LockMode")
    if mode not in MODES:
        return None, _error(call, "InvalidParameterValue", f"LockMode must be governance or compliance (got {mode})")
    duration, refused = _int_param(call, "LockDuration", DURATION_DAYS)
    if refused:
        return None, refused
    cool_off, refused = _int_param(call, "CoolOffPeriod", COOL_OFF_HOURS)
    if refused:
        return None, refused
    expiration = call.params.get("ExpirationDate")
    if (duration is None) == (expiration is None):
        return None, _error(call, "InvalidParameterCombination", "Specify either LockDuration or ExpirationDate, but not both")
    if cool_off is not None and mode != "compliance":
        return None, _error(call, "InvalidParameterCombination", "CoolOffPeriod is only valid in compliance mode")
    if expiration is not None:
        expiration = datetime.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        if expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=datetime.timezone.utc)
        if expiration <= _now():
            return None, _error(call, "InvalidParameterValue", "ExpirationDate must be in the future")
    return {"mode": mode, "duration": duration, "expiration": expiration, "cool_off": cool_off}, None


def _expiry(request, start):
    return request["expiration"] or start + datetime.timedelta(days=request["duration"])


def _refused_change(call, lock, request, start):
    """SnapshotLocked when a compliance lock past its cooling-off period would be shortened, changed in mode, or given a cool-off."""
    if lock is None or lock_state(lock) != "compliance":
        return None
    if request["mode"] != "compliance" or request["cool_off"] is not None:
        return _error(call, LOCK_CODE, f"Snapshot {call.params['SnapshotId']} is locked in compliance mode: "
                                       "its mode cannot change and it has no cooling-off period any more")
    if _expiry(request, start) < lock["expires_on"]:
        return _error(call, LOCK_CODE, f"Snapshot {call.params['SnapshotId']} is locked in compliance mode until "
                                       f"{lock['expires_on'].isoformat()}: the lock can only be extended")
    return None


def _info(snapshot, lock, with_owner):
    """LockSnapshot's answer (or, with the owner, DescribeLockedSnapshots' LockedSnapshotsInfo) of a lab lock."""
    info = {"SnapshotId": snapshot.id, "LockState": lock_state(lock), "LockCreatedOn": lock["created_on"],
            "LockDurationStartTime": lock["duration_start"], "LockExpiresOn": lock["expires_on"]}
    if lock["duration"] is not None:
        info["LockDuration"] = lock["duration"]
    if lock.get("cool_off") is not None:
        info.update(CoolOffPeriod=lock["cool_off"], CoolOffPeriodExpiresOn=lock["cool_off_expires_on"])
    if with_owner:
        info["OwnerId"] = snapshot.owner_id
    return info


def lock_snapshot(call, account):
    snapshot, refused = _own_snapshot(call, account)
    if refused:
        return refused
    request, refused = _requested(call)
    if refused:
        return refused
    now = _now()
    previous = getattr(snapshot, "lab_lock", None)
    live = previous if previous is not None and lock_state(previous, now) != "expired" else None
    # A lock duration counts from when the snapshot was first locked (LockDurationStartTime).
    start = live["duration_start"] if live else now
    refused = _refused_change(call, live, request, start)
    if refused:
        return refused
    lock = {"mode": request["mode"], "duration": request["duration"], "created_on": live["created_on"] if live else now,
            "duration_start": start, "expires_on": _expiry(request, start), "cool_off": request["cool_off"]}
    if request["cool_off"] is not None:
        lock["cool_off_expires_on"] = now + datetime.timedelta(hours=request["cool_off"])
    snapshot.lab_lock = lock
    return ec2_answer("LockSnapshot", _info(snapshot, lock, with_owner=False))


def unlock_snapshot(call, account):
    snapshot, refused = _own_snapshot(call, account)
    if refused:
        return refused
    lock = getattr(snapshot, "lab_lock", None)
    if lock is not None and lock_state(lock) == "compliance":
        return _error(call, LOCK_CODE, f"Snapshot {snapshot.id} is locked in compliance mode and its cooling-off period has "
                                       f"expired: it cannot be unlocked before {lock['expires_on'].isoformat()}")
    snapshot.lab_lock = None
    return ec2_answer("UnlockSnapshot", {"SnapshotId": snapshot.id})


def describe_locked_snapshots(call, account):
    """The caller's locked snapshots (SnapshotId.N, Filter lock-state); every one in a single page."""
    wanted = set(numbered(call.params, "SnapshotId"))
    states = set()
    for flt in numbered_structs(call.params, "Filter"):
        if flt.get("Name") == "lock-state":
            states.update(v for k, v in flt.items() if k.startswith("Value."))
    found = []
    for snapshot in list(moto_state.backend("ec2", account, call.region).snapshots.values()):
        lock = getattr(snapshot, "lab_lock", None)
        if lock is None or getattr(snapshot, "lab_shared_view", False) or (wanted and snapshot.id not in wanted):
            continue
        if states and lock_state(lock) not in states:
            continue
        found.append(_info(snapshot, lock, with_owner=True))
    return ec2_answer("DescribeLockedSnapshots", {"Snapshots": found})


def delete_snapshot(call, account):
    """A snapshot under a lock that has not expired cannot be deleted."""
    snapshot = moto_state.backend("ec2", account, call.region).snapshots.get(call.params.get("SnapshotId", ""))
    lock = getattr(snapshot, "lab_lock", None) if snapshot is not None else None
    if lock is not None and lock_state(lock) != "expired":
        return _error(call, LOCK_CODE, f"Snapshot {snapshot.id} is locked ({lock_state(lock)}) until "
                                       f"{lock['expires_on'].isoformat()} and cannot be deleted")
    return None
