"""The forensic side of verify: what is looked for there, and what a lock that was lifted or shortened looks like."""
import datetime

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import forensic_custody

UNTIL = datetime.datetime(2027, 1, 1, tzinfo=datetime.timezone.utc)


def version(copies, artifacts=()):
    snapshot = {"snapshot_id": "snap-original", "volume_id": "vol-1", "device_name": "/dev/xvda", "state": "completed", "copies": copies}
    return {"last_modified": "2026-12-03T00:00:00Z", "manifest": {"instances": {"i-1": {"snapshots": [snapshot], "artifacts": list(artifacts)}}}}


def test_forensic_copies_and_deleted_shared_copies_leave_the_compromised_accounts_checks():
    shared = {"snapshot_id": "snap-shared", "state": "deleted"}
    owned = {"snapshot_id": "snap-owned", "owner_id": "111122223333", "region": "us-east-1", "state": "completed"}
    artifact = {"kind": "forensic_copy", "s3_uri": "s3://f/k", "version_id": "v2"}
    source = {"kind": "triage", "s3_uri": "s3://c/k", "version_id": "v1"}
    snapshots = [{"snapshot_id": s} for s in ("snap-original", "snap-shared", "snap-owned")]
    artifacts, kept, copies, copied = forensic_custody.split([version([shared, owned], [source, artifact])], [source, artifact], snapshots)
    assert (artifacts, kept, copies, copied) == ([source], [{"snapshot_id": "snap-original"}], [owned], [artifact])


def test_a_lifted_or_shortened_lock_is_a_discrepancy():
    recorded = {"mode": "compliance", "state": "compliance", "expires_on": UNTIL.isoformat()}
    assert forensic_custody._lock_findings("snap-1", recorded, {"LockState": "compliance", "LockExpiresOn": UNTIL}) == []
    [lifted] = forensic_custody._lock_findings("snap-1", recorded, None)
    assert lifted["problem"].startswith("is not locked any more (recorded compliance until 2027-01-01")
    shorter = UNTIL - datetime.timedelta(days=1)
    [shortened] = forensic_custody._lock_findings("snap-1", recorded, {"LockState": "compliance", "LockExpiresOn": shorter})
    assert shortened["problem"] == f"lock now expires {shorter.isoformat()}, recorded {UNTIL.isoformat()}"
    [mode] = forensic_custody._lock_findings("snap-1", recorded, {"LockState": "governance", "LockExpiresOn": UNTIL})
    assert mode["problem"] == "is locked in governance mode, recorded compliance"
