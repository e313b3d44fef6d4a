"""respond.yml with a copy_to setting: the manifest records the originals and their copies, with keys and tags."""

import json

import boto3

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest import validate
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import task_result

FORENSIC_ACCOUNT = "111122223333"


def copy_key(lab, region="eu-west-1"):
    kms = boto3.client("kms", endpoint_url=lab.endpoint_url, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
    return kms.create_key(Description="forensic copies")["KeyMetadata"]["Arn"]


def test_respond_with_copy_to_records_originals_and_copies_with_keys_and_tags(lab, demo):
    key = copy_key(lab)
    copy_to = {"region": "eu-west-1", "account_id": FORENSIC_ACCOUNT, "kms_key_id": key}
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to})
    assert code == 0, json.dumps(output["stats"])
    manifest = json.loads(aws(lab, "s3").get_object(Bucket=demo["bucket"], Key=f"{TICKET}/manifest.json")["Body"].read())
    validate(manifest)
    instance_id = demo["compromised_instance_id"]
    snapshots = manifest["instances"][instance_id]["snapshots"]
    assert sorted(s["volume_id"] for s in snapshots) == sorted(demo["volume_ids"][instance_id])
    for snapshot in snapshots:
        [copy] = snapshot["copies"]
        assert (copy["source_snapshot_id"], copy["region"], copy["kms_key_id"], copy["encrypted"]) == (snapshot["snapshot_id"], "eu-west-1", key, True)
        assert copy["shared_with"] == [FORENSIC_ACCOUNT]
        assert copy["tags"] == dict(snapshot["tags"], SourceSnapshotId=snapshot["snapshot_id"])
        assert snapshot["tags"]["SourceVolumeId"] == snapshot["volume_id"]
    recorded = [a["action"] for a in manifest["actions"] if a["stage"] == "snapshot"]
    assert (recorded.count("CopySnapshot"), recorded.count("ModifySnapshotAttribute")) == (2, 2)
    assert any("is not encrypted" in w for w in manifest["instances"][instance_id]["warnings"])


def test_respond_refuses_an_unusable_copy_key_before_the_first_change(lab, demo):
    copy_to = {"account_id": FORENSIC_ACCOUNT, "kms_key_id": "alias/no-such-key"}
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "copy_to": copy_to})
    assert code != 0
    # Refused before containment: nothing is changed, so nothing is written either.
    assert [r["action"] for r in mutating(lab.requests())] == []
    failure = task_result(output, "Check the forensic copy destination before any change")["msg"]
    assert "copy_to.kms_key_id 'alias/no-such-key' does not exist in account 123456789012, Region us-east-1" in failure
    assert "Nothing was changed." in task_result(output, "Fail the run when a stage failed")["msg"]
