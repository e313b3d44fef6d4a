# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Chain of custody: is the evidence of a case still what the manifest recorded?

Trusts only the bytes S3 returns now and what EC2 describes now, never Object
Lock (a GOVERNANCE retention can be bypassed, a bucket may have none) and never
one manifest version alone. Every version of the manifest is read: each must
name the version before it with that version's SHA-256 (the hash chain), carry
the SHA-256 checksum evidence_manifest always sends, follow the schema, and
keep everything the version before it recorded (manifest.follows). Every
artifact and snapshot any version recorded is then checked against AWS.

Each check returns findings: {"object": what is at fault (an s3:// URI with its
version, or a snapshot id), "problem": what is wrong with it}.
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import manifest as model
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import places
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import key_versions
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import read_artifact
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import s3_uri
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import checksum_sha256
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import sha256_hex
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import chunks
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import tags_of


def finding(obj, problem):
    return {"object": obj, "problem": problem}


def versioned(uri, version_id):
    return f"{uri} version {version_id}" if version_id else uri


def read_manifest_versions(client, bucket, key):
    """(versions, delete_markers) of the manifest key; each version read back.

    A version: {"version_id", "is_latest", "last_modified", "sha256", "stored_checksum",
    "object_lock" ({"mode", "retain_until_date"} or None), "manifest" (dict, or None when
    it is not JSON), "metadata" (its S3 user metadata: the signature, see signing.py)}.
    """
    entries = key_versions(client, bucket, key)
    versions = []
    for entry in entries:
        if entry["delete_marker"]:
            continue
        response = client.get_object(aws_retry=True, Bucket=bucket, Key=key, VersionId=entry["version_id"], ChecksumMode="ENABLED")
        body = response["Body"].read()
        try:
            manifest = json.loads(body)
        except ValueError:
            manifest = None
        until = response.get("ObjectLockRetainUntilDate")
        versions.append({
            "version_id": entry["version_id"], "is_latest": entry["is_latest"], "last_modified": entry["last_modified"].isoformat(),
            "sha256": sha256_hex(body), "stored_checksum": response.get("ChecksumSHA256"), "manifest": manifest,
            "metadata": response.get("Metadata", {}),
            "object_lock": {"mode": response.get("ObjectLockMode"), "retain_until_date": until.isoformat()} if until else None,
        })
    return versions, [e for e in entries if e["delete_marker"]]


def check_version(version, uri):
    """Findings about one manifest version on its own: its checksum, its JSON, its schema, where it says it belongs."""
    name = versioned(uri, version["version_id"])
    if version["stored_checksum"] is None:
        return [finding(name, "carries no SHA-256 checksum: evidence_manifest did not write it")]
    if version["stored_checksum"] != checksum_sha256(version["sha256"]):
        return [finding(name, "its SHA-256 checksum in S3 does not match its bytes")]
    manifest = version["manifest"]
    if not isinstance(manifest, dict):
        return [finding(name, "is not a JSON object")]
    try:
        model.validate(manifest)
    except model.ManifestError as e:
        return [finding(name, str(e))]
    where = s3_uri(manifest["bucket"], manifest["key"])
    if where != uri:
        return [finding(name, f"says it belongs at {where}")]
    return []


def walk_chain(versions, uri):
    """(the versions reached from the newest by previous_version, newest first; findings about the chain)."""
    if not versions:
        return [], []
    by_id = {v["version_id"]: v for v in versions}
    newest = next((v for v in versions if v["is_latest"]), None) or max(versions, key=lambda v: v["last_modified"])
    chain, findings = [newest], []
    while True:
        before, problems = _previous(chain, by_id, uri)
        findings += problems
        if before is None:
            break
        chain.append(before)
    reached = {v["version_id"] for v in chain}
    findings += [finding(versioned(uri, v["version_id"]), "is not in the hash chain that ends at the newest version")
                 for v in versions if v["version_id"] not in reached]
    return chain, findings


def _previous(chain, by_id, uri):
    """(the version the chain's last one names as its previous, or None where the chain ends; findings about that link)."""
    current = chain[-1]
    previous = current["manifest"].get("previous_version") if isinstance(current["manifest"], dict) else None
    if not isinstance(previous, dict):
        return None, []
    name = versioned(uri, current["version_id"])
    before = by_id.get(previous.get("version_id"))
    if before is None:
        return None, [finding(name, f"names previous version {previous.get('version_id')}, which no longer exists")]
    findings = []
    if before["sha256"] != previous.get("sha256"):
        findings.append(finding(name, f"names previous version {before['version_id']} with SHA-256 {previous.get('sha256')}, "
                                      f"but that version's bytes hash to {before['sha256']}"))
    if before["version_id"] in {v["version_id"] for v in chain}:
        return None, findings + [finding(name, f"names previous version {before['version_id']}, which comes later in the chain")]
    return before, findings


def check_history(chain, uri):
    """Findings where a version does not keep what the version before it recorded (chain: newest first)."""
    findings = []
    for newer, older in zip(chain, chain[1:]):
        if isinstance(newer["manifest"], dict) and isinstance(older["manifest"], dict):
            try:
                problems = model.follows(older["manifest"], newer["manifest"])
            except (KeyError, TypeError, AttributeError) as e:
                problems = [f"cannot be compared with version {older['version_id']} ({type(e).__name__}: {e})"]
            findings += [finding(versioned(uri, newer["version_id"]), f"{p} (against version {older['version_id']})") for p in problems]
    return findings


def check_pin(versions, uri, version_id, sha256):
    """Findings when the version the responder noted (version_id and/or sha256) is not there with those bytes."""
    if not version_id and not sha256:
        return []
    matches = [v for v in versions if (not version_id or v["version_id"] == version_id) and (not sha256 or v["sha256"] == sha256)]
    if matches:
        return []
    # Say which of the two does not match: a mistyped hash of a version that is there is not a missing version.
    same_id = [v for v in versions if version_id and v["version_id"] == version_id]
    if same_id and sha256:
        return [finding(versioned(uri, version_id), f"the SHA-256 of this manifest version in S3 is {same_id[0]['sha256']}; it differs from "
                                                    f"the manifest_sha256 noted at the end of the response ({sha256}) (an S3 version's bytes never change: "
                                                    "check the noted value for a typo)")]
    return [finding(versioned(uri, version_id), f"the manifest version noted at the end of the response (SHA-256 {sha256 or 'not given'}) "
                                                "is not among the versions in S3")]


def check_signatures(verify_signature, versions, uri):
    """Findings for every version whose signature verify_signature (a function of a version: problem or None) refuses."""
    return [finding(versioned(uri, v["version_id"]), problem) for v in versions for problem in [verify_signature(v)] if problem]


def after_pin(chain, version_id, sha256):
    """The versions of the chain newer than the noted one, oldest first (all of them when it is not in the chain)."""
    newer = []
    for version in chain:
        if (not version_id or version["version_id"] == version_id) and (not sha256 or version["sha256"] == sha256):
            break
        newer.append(version)
    return list(reversed(newer))


def recorded_evidence(versions):
    """(artifacts, snapshots) recorded by any readable version, each once (by identity), in first-recorded order.

    Snapshots include their copies (snapshots.copies), each as {"snapshot_id", "region", "volume_id"
    (None for a copy, which AWS describes with a placeholder volume), "tags"}.
    """
    artifacts, snapshots = {}, {}
    for manifest, place, instance in _placed_instances(versions):
        for artifact in instance.get("artifacts", []):
            artifacts.setdefault((artifact["s3_uri"], artifact.get("version_id")), dict(artifact, account_id=place["account_id"]) if place else artifact)
        for snapshot in instance.get("snapshots", []):
            snapshots.setdefault(snapshot["snapshot_id"], dict({"snapshot_id": snapshot["snapshot_id"], "region": manifest.get("region"),
                                                                "volume_id": snapshot.get("volume_id"), "tags": snapshot.get("tags") or {}}, **place))
            for copy in snapshot.get("copies", []):
                snapshots.setdefault(copy["snapshot_id"], {"snapshot_id": copy["snapshot_id"], "region": copy.get("region"),
                                                           "volume_id": None, "tags": copy.get("tags") or {}})
    return list(artifacts.values()), list(snapshots.values())


def _placed_instances(versions):
    """(manifest, place, instance record) as recorded_instances; place: {"account_id", "region"} of an instance the manifest
    places in an account and Region (places.instance_places), else {} (the manifest's own)."""
    for manifest in _readable_manifests(versions):
        placed = places.instance_places(manifest)
        for instance_id, instance in (manifest.get("instances") or {}).items():
            yield manifest, placed.get(instance_id, {}), instance


def recorded_instances(versions):
    """(manifest, instance record) of every instance of every readable version, oldest version first."""
    for manifest in _readable_manifests(versions):
        for instance in (manifest.get("instances") or {}).values():
            yield manifest, instance


def _readable_manifests(versions):
    for version in sorted(versions, key=lambda v: v["last_modified"]):
        if isinstance(version["manifest"], dict):
            yield version["manifest"]


def check_artifact(client, artifact, superseded=False):
    """Findings about one artifact: its recorded version re-read (size, SHA-256) and what its key holds now.

    superseded: the key takes newer versions by design (a copy of one version of the manifest), so only the recorded version is checked.
    """
    bucket, key, version_id = artifact["bucket"], artifact["key"], artifact.get("version_id")
    name = versioned(artifact["s3_uri"], version_id)
    try:
        found = read_artifact(client, bucket, key, version_id=version_id)
    except is_boto3_error_code(["InvalidArgument", "AccessDenied", "403"]) as e:
        return [finding(name, f"cannot be read ({e.response['Error']['Code']})")]
    findings = []
    if found is None:
        findings.append(finding(name, "is missing: that version no longer exists"))
    elif (found["size_bytes"], found["sha256"]) != (artifact["size_bytes"], artifact["sha256"]):
        findings.append(finding(name, f"changed: now {found['size_bytes']} bytes with SHA-256 {found['sha256']}, "
                                      f"recorded {artifact['size_bytes']} bytes with SHA-256 {artifact['sha256']}"))
    if superseded:
        return findings
    latest = next((v for v in key_versions(client, bucket, key) if v["is_latest"]), None)
    if latest is None or not version_id:
        return findings
    if latest["delete_marker"]:
        findings.append(finding(artifact["s3_uri"], "was deleted: a delete marker hides the recorded version"))
    elif latest["version_id"] != version_id:
        findings.append(finding(artifact["s3_uri"], f"was replaced: its current version {latest['version_id']} is not the recorded one"))
    return findings


def existing_snapshots(client, snapshot_ids):
    """{snapshot_id: snapshot} of those that still exist: a snapshot-id filter, where SnapshotIds would fail on a missing one."""
    found = {}
    for chunk in chunks(sorted(snapshot_ids)):
        for snapshot in paginate(client, "describe_snapshots", Filters=[{"Name": "snapshot-id", "Values": chunk}])["Snapshots"]:
            found[snapshot["SnapshotId"]] = snapshot
    return found


def check_snapshots(client_in, snapshots):
    """Findings about the recorded snapshots and copies: each must still exist, of its volume, not failed, with its recorded tags.

    client_in: a function of a Region and an account id (None: the case's own) that returns an EC2 client there, or raises
    places.Unreachable: each snapshot there is then reported as not checked, with the reason.
    """
    recorded = [s for s in snapshots if s["snapshot_id"].startswith("snap-")]
    found, unreachable = {}, {}
    for account_id, region in sorted({(s.get("account_id") or "", s["region"]) for s in recorded}):
        here = [s["snapshot_id"] for s in recorded if (s.get("account_id") or "", s["region"]) == (account_id, region)]
        try:
            found.update(existing_snapshots(client_in(region, account_id or None), here))
        except places.Unreachable as e:
            unreachable.update(dict.fromkeys(here, f"cannot be checked ({region}): {e}"))
    findings = []
    for snapshot in recorded:
        sid = snapshot["snapshot_id"]
        findings += [finding(sid, unreachable[sid])] if sid in unreachable else _snapshot_problems(snapshot, found.get(sid))
    return findings


def _snapshot_problems(snapshot, now):
    """Findings about one recorded snapshot against what DescribeSnapshots says of it now (None: not found)."""
    sid = snapshot["snapshot_id"]
    if now is None:
        of = f"snapshot of {snapshot['volume_id']}" if snapshot["volume_id"] else f"copy in {snapshot['region']}"
        return [finding(sid, f"no longer exists ({of})")]
    findings = []
    if snapshot["volume_id"] and now.get("VolumeId") != snapshot["volume_id"]:
        findings.append(finding(sid, f"is now a snapshot of {now.get('VolumeId')}, recorded of {snapshot['volume_id']}"))
    if now.get("State") == "error":
        findings.append(finding(sid, f"is in the error state: {now.get('StateMessage', 'no message')}"))
    tags = tags_of(now)
    for tag, value in sorted(snapshot["tags"].items()):
        if tag not in tags:
            findings.append(finding(sid, f"lost its tag {tag}={value}"))
        elif tags[tag] != value:
            findings.append(finding(sid, f"tag {tag} is now {tags[tag]!r}, recorded {value!r}"))
    return findings


def check_delete_markers(markers, uri):
    return [finding(uri, "was deleted: a delete marker is its current version") for m in markers if m["is_latest"]]
