"""Lock settings checked as EC2 LockSnapshot checks them (API Reference: LockDuration 1..36500 days, CoolOffPeriod 1..72 hours)."""
import datetime

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot import snapshot_locks as locks

NOW = datetime.datetime(2026, 12, 3, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("lock, wanted", [
    ({"mode": "governance", "duration_days": 1}, {"LockMode": "governance", "LockDuration": 1}),
    ({"mode": "compliance", "duration_days": 36500, "cool_off_period_hours": 72},
     {"LockMode": "compliance", "LockDuration": 36500, "CoolOffPeriod": 72}),
    ({"mode": "compliance", "expiration_date": "2027-01-01T00:00:00Z"},
     {"LockMode": "compliance", "ExpirationDate": datetime.datetime(2027, 1, 1, tzinfo=datetime.timezone.utc)}),
])
def test_settings_within_the_documented_ranges_become_lock_snapshot_parameters(lock, wanted):
    assert locks.validate_lock(lock, "copy_to.lock", now=NOW) == wanted


@pytest.mark.parametrize("lock, message", [
    ({"mode": "legal-hold", "duration_days": 1}, "copy_to.lock.mode: 'legal-hold' is not one of governance, compliance"),
    ({"mode": "governance", "duration_days": 0}, "copy_to.lock.duration_days: 0 is outside 1..36500 days"),
    ({"mode": "governance", "duration_days": 36501}, "copy_to.lock.duration_days: 36501 is outside 1..36500 days"),
    ({"mode": "compliance", "duration_days": 1, "cool_off_period_hours": 0}, "cool_off_period_hours: 0 is outside 1..72 hours"),
    ({"mode": "governance", "duration_days": 1, "cool_off_period_hours": 1}, "is for compliance mode only"),
    ({"mode": "governance"}, "needs duration_days or expiration_date, not both \\(got neither\\)"),
    ({"mode": "governance", "duration_days": 2, "expiration_date": "2027-01-01T00:00:00Z"}, "\\(got both\\)"),
    ({"mode": "governance", "expiration_date": "2026-12-02T00:00:00Z"}, "is not in the future"),
    ({"mode": "governance", "expiration_date": "next year"}, "is not an ISO 8601 date and time"),
])
def test_settings_aws_would_refuse_are_refused_naming_the_field(lock, message):
    with pytest.raises(locks.LockError, match=message):
        locks.validate_lock(lock, "copy_to.lock", now=NOW)


def current(state, expires_days, start=NOW):
    return {"LockState": state, "LockExpiresOn": start + datetime.timedelta(days=expires_days), "LockDurationStartTime": start}


def test_a_lock_holds_when_it_has_the_mode_and_expires_no_earlier_counted_from_its_first_start():
    assert locks.holds(current("compliance", 30), {"LockMode": "compliance", "LockDuration": 30})
    assert locks.holds(current("compliance-cooloff", 30), {"LockMode": "compliance", "LockDuration": 10})
    assert not locks.holds(current("compliance", 30), {"LockMode": "compliance", "LockDuration": 31})
    assert not locks.holds(current("governance", 30), {"LockMode": "compliance", "LockDuration": 30})
    assert not locks.holds(None, {"LockMode": "governance", "LockDuration": 1})
