# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The finding as the case's first artifact: its JSON in the evidence bucket, hashed as S3 holds it.

One object per finding, ``<ticket>/finding/<source>-<finding id>.json``, holding the
finding exactly as received (canonical JSON: sorted keys, two-space indent). A
finding already stored with the same bytes is not written again; an updated
finding (GuardDuty raises its count) becomes a new version of the same key, and
both versions stay recorded.
"""

import json
import re

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import read_artifact
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import s3_uri
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import put_record
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import sha256_hex

ARTIFACT_KIND = "finding"
_NOT_KEY_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
# A Security Hub Id is often an ARN; the key keeps its end, which holds the finding's own id.
_ID_IN_KEY_MAX = 160


def finding_key(ticket, finding):
    """S3 key of a finding's object (ticket: the normalised ticket; finding: a shapes summary)."""
    safe = _NOT_KEY_SAFE.sub("-", finding["id"]).strip("-.")[-_ID_IN_KEY_MAX:]
    return f"{ticket}/finding/{finding['source']}-{safe}.json"


def finding_body(finding):
    """The bytes stored for a finding: the finding itself, canonical JSON, UTF-8, final newline."""
    return (json.dumps(finding["finding"], sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def preserve(log, client, bucket, ticket, finding, lock):
    """Store the finding unless its current object holds the same bytes; returns its artifact.

    The artifact is described from the bytes read back from S3 (artifacts.read_artifact); in check
    mode, from the bytes that would be written, with no version.
    """
    key, body = finding_key(ticket, finding), finding_body(finding)
    stored = read_artifact(client, bucket, key)
    if stored is None or stored["sha256"] != sha256_hex(body):
        version_id, _digest = put_record(log, client, bucket, key, body, "application/json", lock,
                                         instance_ids=[i["instance_id"] for i in finding["instances"]])
        stored = None if log.check_mode else read_artifact(client, bucket, key, version_id=version_id)
    if stored is None:
        stored = {"bucket": bucket, "key": key, "s3_uri": s3_uri(bucket, key), "version_id": None,
                  "size_bytes": len(body), "sha256": sha256_hex(body)}
    return {"kind": ARTIFACT_KIND, "bucket": bucket, "key": key, "s3_uri": stored["s3_uri"], "version_id": stored["version_id"],
            "size_bytes": stored["size_bytes"], "sha256": stored["sha256"], "finding_source": finding["source"], "finding_id": finding["id"]}


def summary(finding, artifact):
    """What the manifest records of a finding (its findings list): the facts that open the case report, and its artifact."""
    keys = ("source", "id", "arn", "product_arn", "account_id", "region", "severity", "types", "title", "created_at", "updated_at", "event")
    return dict({k: finding.get(k) for k in keys}, instance_ids=[i["instance_id"] for i in finding["instances"]], artifact=artifact)
