# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The forensic account's side of the chain of custody: its snapshot copies and artifact copies, checked there.

Read with the forensic account's role (the compromised account cannot see that account's
snapshots): each forensic copy must exist, be completed, owned by the forensic account, encrypted
with the recorded key, tagged as recorded and locked at least as recorded (same mode, expiring no
earlier); each artifact copy must hold the recorded SHA-256 at its recorded version. A shared copy
the run deleted on purpose (remove_intermediate, state "deleted") is not looked for.
"""

import datetime

from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.snapshot_locks import current_locks
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import custody
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.replication import KIND
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import tags_of

DELETED = "deleted"


def _instant(text):
    """A recorded time (ISO 8601, "Z" or an offset, with or without milliseconds) as an aware datetime, to compare instants, not strings."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def forensic_evidence(versions):
    """(snapshot copies, artifact copies, ids of shared copies deleted on purpose) of the forensic account, newest record of each."""
    copies, artifacts, deleted = {}, {}, set()
    for _manifest, instance in custody.recorded_instances(versions):
        for artifact in instance.get("artifacts", []):
            if artifact.get("kind") == KIND:
                artifacts[(artifact["s3_uri"], artifact.get("version_id"))] = artifact
        for snapshot in instance.get("snapshots", []):
            for copy in snapshot.get("copies", []):
                if copy.get("owner_id"):
                    copies[copy["snapshot_id"]] = copy
                elif copy.get("state") == DELETED:
                    deleted.add(copy["snapshot_id"])
    return list(copies.values()), list(artifacts.values()), deleted


def split(versions, artifacts, snapshots):
    """custody.recorded_evidence's (artifacts, snapshots) without what lives in the forensic account or was deleted on purpose,
    and the forensic account's (snapshot copies, artifact copies)."""
    copies, copied_artifacts, deleted = forensic_evidence(versions)
    elsewhere = {c["snapshot_id"] for c in copies} | deleted
    theirs = {(a["s3_uri"], a.get("version_id")) for a in copied_artifacts}
    return ([a for a in artifacts if (a["s3_uri"], a.get("version_id")) not in theirs],
            [s for s in snapshots if s["snapshot_id"] not in elsewhere], copies, copied_artifacts)


def _lock_findings(sid, recorded, lock):
    if not recorded or recorded.get("state") == "planned":
        return []
    if lock is None:  # current_locks leaves out snapshots no longer locked
        return [custody.finding(sid, f"is not locked any more (recorded {recorded['mode']} until {recorded.get('expires_on')})")]
    mode = "governance" if lock["LockState"] == "governance" else "compliance"
    findings = []
    if mode != recorded["mode"]:
        findings.append(custody.finding(sid, f"is locked in {mode} mode, recorded {recorded['mode']}"))
    if recorded.get("expires_on") and lock["LockExpiresOn"] < _instant(recorded["expires_on"]):
        findings.append(custody.finding(sid, f"lock now expires {lock['LockExpiresOn'].isoformat()}, recorded {recorded['expires_on']}"))
    return findings


def _snapshot_findings(copy, now, lock):
    sid = copy["snapshot_id"]
    if now is None:
        return [custody.finding(sid, f"no longer exists in the forensic account {copy['owner_id']} ({copy['region']})")]
    findings = []
    for field, found, recorded in (("owner", now.get("OwnerId"), copy["owner_id"]), ("key", now.get("KmsKeyId"), copy["kms_key_id"]),
                                   ("state", now.get("State"), "completed")):
        if found != recorded:
            findings.append(custody.finding(sid, f"{field} is {found}, expected {recorded}"))
    tags = tags_of(now)
    findings += [custody.finding(sid, f"lost its tag {k}={v}") for k, v in sorted(copy.get("tags", {}).items()) if tags.get(k) != v]
    return findings + _lock_findings(sid, copy.get("lock"), lock)


def check_copies(client_in, copies):
    """Findings about the forensic account's snapshot copies. client_in(region): an EC2 client of the forensic account there."""
    findings = []
    for region in sorted({c["region"] for c in copies}):
        here = [c for c in copies if c["region"] == region and c["snapshot_id"].startswith("snap-")]
        ec2 = client_in(region)
        found = custody.existing_snapshots(ec2, [c["snapshot_id"] for c in here])
        locks = current_locks(ec2, list(found))
        for copy in here:
            findings += _snapshot_findings(copy, found.get(copy["snapshot_id"]), locks.get(copy["snapshot_id"]))
    return findings


def check_forensic(clients, copies, copied_artifacts, record_copies=()):
    """Findings of the forensic side; clients ({"ec2": function of a Region, "s3": client}) is None without a forensic role.

    record_copies: the copies of the record's versions (manifest_copies); their keys take each newer version's copy.
    """
    if not copies and not copied_artifacts and not record_copies:
        return []
    if clients is None:
        return [custody.finding("forensic account", f"{len(copies)} snapshot copy(ies) and {len(copied_artifacts) + len(record_copies)} "
                                                    "artifact copy(ies) are recorded there: give forensic_role_arn to check them")]
    findings = check_copies(clients["ec2"], copies)
    for artifact in copied_artifacts:
        findings += custody.check_artifact(clients["s3"], artifact)
    for copy in record_copies:
        findings += custody.check_artifact(clients["s3"], copy, superseded=True)
    return findings
