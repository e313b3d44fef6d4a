# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The forensic copies of the record's own versions, as verify checks them.

A manifest version cannot record its own copy: the copy is made after the version is written.
The next version written records the copies of the versions before it (manifest_copies: where
each copy is, its VersionId and SHA-256, and the source version). verify checks each recorded
copy in the forensic bucket like any artifact copy, and that a copy of a manifest version holds
that version's SHA-256 as verify read it from the compromised account's bucket. For every manifest
version it then says where its copy is: recorded; found in the forensic bucket by the metadata
naming its source (evidence_replicate's) but not recorded yet, and checked the same way; or none yet.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import custody
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import read_artifact
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest import MANIFEST_COPIES
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.replication import find_copy

RECORDED = "recorded"
NOT_RECORDED = "found, not yet recorded"
NONE_YET = "no copy yet"
NOT_LOOKED_FOR = "not recorded, not looked for without forensic_role_arn"


def recorded(versions):
    """The copies of record versions any readable version recorded, each once (by location and version), first recorded first."""
    copies = {}
    for version in sorted(versions, key=lambda v: v["last_modified"]):
        manifest = version["manifest"] if isinstance(version["manifest"], dict) else {}
        for copy in manifest.get(MANIFEST_COPIES) or []:
            copies.setdefault((copy["s3_uri"], copy.get("version_id")), copy)
    return list(copies.values())


def _source_problem(copy, sha256):
    """What is wrong with a recorded copy of a manifest version whose bytes verify read have sha256 (None: no such version)."""
    if sha256 is None:
        return f"is recorded as the copy of {custody.versioned(copy['source_s3_uri'], copy['source_version_id'])}, which is not a version of the manifest"
    if copy["sha256"] != sha256:
        return f"is recorded with SHA-256 {copy['sha256']}, its source manifest version {copy['source_version_id']} has {sha256}"
    return None


def check_sources(copies, versions, manifest_uri):
    """Findings about recorded copies of manifest versions whose source is not a version verify read, or holds other bytes."""
    by_id = {v["version_id"]: v["sha256"] for v in versions}
    findings = []
    for copy in (c for c in copies if c["source_s3_uri"] == manifest_uri):
        problem = _source_problem(copy, by_id.get(copy["source_version_id"]))
        if problem:
            findings.append(custody.finding(custody.versioned(copy["s3_uri"], copy["version_id"]), problem))
    return findings


def unrecorded_copy(s3, buckets, manifest_uri, key, version):
    """The copy of a manifest version found in one of buckets (a forensic account's) by its source metadata, read back; or None."""
    source = {"key": key, "s3_uri": manifest_uri, "version_id": version["version_id"]}
    for bucket in sorted(buckets):
        version_id = find_copy(s3, bucket, source)
        if version_id is not None:
            return read_artifact(s3, bucket, key, version_id=version_id)
    return None


def locate(versions, copies, manifest_uri, find=None):
    """({version_id: {"status", "s3_uri", "version_id"}}, findings): where each manifest version's forensic copy is.

    find(version): its copy not recorded yet, looked up in the forensic account (read back: bucket, key,
    s3_uri, version_id, sha256), or None; find is None when the forensic account cannot be read (without its role).
    A copy found there whose SHA-256 is not its version's is a finding.
    """
    by_source = {c["source_version_id"]: c for c in copies if c["source_s3_uri"] == manifest_uri}
    where, findings = {}, []
    for version in versions:
        copy, status = by_source.get(version["version_id"]), RECORDED
        if copy is None and find is None:
            status = NOT_LOOKED_FOR
        elif copy is None:
            copy = find(version)
            status = NONE_YET if copy is None else NOT_RECORDED
            if copy is not None and copy["sha256"] != version["sha256"]:
                findings.append(custody.finding(custody.versioned(copy["s3_uri"], copy["version_id"]),
                                                f"the copy of manifest version {version['version_id']} has SHA-256 {copy['sha256']}, "
                                                f"the version {version['sha256']}"))
        where[version["version_id"]] = {"status": status, "s3_uri": copy and copy["s3_uri"], "version_id": copy and copy["version_id"]}
    return where, findings


def summary(where):
    """Lines for the verdict: each manifest version whose copy is not recorded yet, and where it is."""
    lines = []
    for version_id, copy in where.items():
        if copy["status"] == NOT_RECORDED:
            lines.append(f"- manifest version {version_id}: forensic copy {custody.versioned(copy['s3_uri'], copy['version_id'])} "
                         "(SHA-256 matches), not yet recorded by a later version")
        elif copy["status"] in (NONE_YET, NOT_LOOKED_FOR):
            lines.append(f"- manifest version {version_id}: {'no forensic copy yet' if copy['status'] == NONE_YET else copy['status']}")
    return lines
