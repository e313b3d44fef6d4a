"""forensic_snapshot and analyze.yml against the lab, read back through independent boto3 clients and the lab's request log."""

import json

import boto3
import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest import validate
from tests.end_to_end.support import REGION
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_module
from tests.end_to_end.support import run_playbook

COPY_REGION = "us-west-2"
FORENSIC_ACCOUNT = "111122223333"
INCIDENT_KEYS = ("IncidentTicket", "Evidence", "SourceInstanceId", "SourceVolumeId", "SourceDeviceName")


def client(lab, service, region=REGION, credentials=None):
    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    if credentials:
        keys = {"aws_access_key_id": credentials["AccessKeyId"], "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"]}
    return boto3.client(service, endpoint_url=lab.endpoint_url, region_name=region, **keys)


def tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


@pytest.fixture
def suspect(lab, demo):
    """An m5d.large web server in the Auto Scaling group (so it carries aws: tags) with one NVMe instance-store disk,
    an unencrypted root volume, a data volume under a customer managed key and one under the default aws/ebs key that
    holds 49 tags of its own."""
    ec2, kms = aws(lab, "ec2"), aws(lab, "kms")
    instance_id = ec2.run_instances(LaunchTemplate={"LaunchTemplateName": demo["launch_template_name"]}, InstanceType="m5d.large",
                                    MinCount=1, MaxCount=1, SubnetId=demo["subnet_ids"][0],
                                    BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "VolumeType": "gp3"}}],
                                    )["Instances"][0]["InstanceId"]
    aws(lab, "autoscaling").attach_instances(AutoScalingGroupName=demo["asg_name"], InstanceIds=[instance_id])
    ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "Name", "Value": "web-3"}, {"Key": "IncidentTicket", "Value": TICKET}])
    zone = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["Placement"]["AvailabilityZone"]
    customer_key = kms.create_key(Description="application data")["KeyMetadata"]["Arn"]
    customer = ec2.create_volume(Size=4, AvailabilityZone=zone, Encrypted=True, KmsKeyId=customer_key)["VolumeId"]
    crowded = ec2.create_volume(Size=2, AvailabilityZone=zone, Encrypted=True, TagSpecifications=[
        {"ResourceType": "volume", "Tags": [{"Key": f"Cost{i:02d}", "Value": "x"} for i in range(49)]}])["VolumeId"]
    ec2.attach_volume(VolumeId=customer, InstanceId=instance_id, Device="/dev/sdf")
    ec2.attach_volume(VolumeId=crowded, InstanceId=instance_id, Device="/dev/sdg")
    root = next(m["Ebs"]["VolumeId"] for m in ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
                ["BlockDeviceMappings"] if m["DeviceName"] == "/dev/xvda")
    copy_key = client(lab, "kms", COPY_REGION).create_key(Description="forensic copies")["KeyMetadata"]["Arn"]
    lab.clear_requests()
    return {"instance_id": instance_id, "root": root, "customer": customer, "crowded": crowded, "customer_key": customer_key,
            "copy_key": copy_key, "volumes": {"/dev/xvda": root, "/dev/sdf": customer, "/dev/sdg": crowded}}


def copy_to(suspect):
    return {"region": COPY_REGION, "account_id": FORENSIC_ACCOUNT, "kms_key_id": suspect["copy_key"]}


def originals(lab, instance_id):
    found = aws(lab, "ec2").describe_snapshots(Filters=[{"Name": "tag:IncidentTicket", "Values": [TICKET]},
                                                        {"Name": "tag:SourceInstanceId", "Values": [instance_id]}])["Snapshots"]
    return {s["VolumeId"]: s for s in found}


def test_every_volume_in_one_set_tagged_copied_and_only_the_copies_shared(lab, suspect):
    result = run_module(lab, "forensic_snapshot", {"instance_ids": [suspect["instance_id"]], "ticket": TICKET, "copy_to": copy_to(suspect)})
    assert not result.get("failed"), result.get("msg")
    assert [r["action"] for r in lab.requests()].count("CreateSnapshots") == 1

    # One snapshot per EBS volume, with the incident tags, the instance's and volume's own tags and never an aws: key.
    made = originals(lab, suspect["instance_id"])
    assert set(made) == set(suspect["volumes"].values())
    for device, volume_id in suspect["volumes"].items():
        snapshot_tags = tags(made[volume_id])
        assert {k: snapshot_tags[k] for k in INCIDENT_KEYS} == {"IncidentTicket": TICKET, "Evidence": "Yes", "SourceInstanceId": suspect["instance_id"],
                                                                "SourceVolumeId": volume_id, "SourceDeviceName": device}
        assert not [k for k in snapshot_tags if k.lower().startswith("aws:")]
        assert len(snapshot_tags) <= 49
    assert tags(made[suspect["root"]])["Name"] == "web-3"
    crowded = tags(made[suspect["crowded"]])
    assert len(crowded) == 49 and "Name" not in crowded  # the volume's 49 tags left room for 44 of them only
    [instance] = result["instances"]
    assert any(w.startswith(f"snapshot of {suspect['crowded']} (/dev/sdg): 6 tag(s) of the volume or instance not copied") for w in instance["warnings"])

    # Encryption as the volumes have it; the unencrypted one is reported.
    default_key = aws(lab, "kms").describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["Arn"]
    assert made[suspect["root"]]["Encrypted"] is False
    assert (made[suspect["customer"]]["KmsKeyId"], made[suspect["crowded"]]["KmsKeyId"]) == (suspect["customer_key"], default_key)
    assert any(w.startswith(f"volume {suspect['root']} (/dev/xvda) is not encrypted") for w in instance["warnings"])
    keys = {s["volume_id"]: (s["encrypted"], s["kms_key_id"]) for s in instance["snapshots"]}
    assert keys == {suspect["root"]: (False, None), suspect["customer"]: (True, suspect["customer_key"]), suspect["crowded"]: (True, default_key)}

    # The NVMe instance-store disk of an m5d.large (1 x 75 GB) is listed as not captured, with the reason.
    [disk] = instance["not_captured"]
    assert (disk["kind"], disk["size_gb"], disk["status"]) == ("instance_store", 75, "not_captured")
    assert "EBS snapshots cannot capture it" in disk["reason"]

    # Each original has one copy in the other Region under the customer managed key, with its tags; only copies are shared.
    west = client(lab, "ec2", COPY_REGION)
    copies = {tags(c)["SourceSnapshotId"]: c for c in west.describe_snapshots(Filters=[{"Name": "tag:IncidentTicket", "Values": [TICKET]}])["Snapshots"]}
    assert set(copies) == {s["SnapshotId"] for s in made.values()}
    for source_id, copy in copies.items():
        original = next(s for s in made.values() if s["SnapshotId"] == source_id)
        assert (copy["Encrypted"], copy["KmsKeyId"]) == (True, suspect["copy_key"])
        assert tags(copy) == dict(tags(original), SourceSnapshotId=source_id)
        assert west.describe_snapshot_attribute(SnapshotId=copy["SnapshotId"], Attribute="createVolumePermission")["CreateVolumePermissions"] == [
            {"UserId": FORENSIC_ACCOUNT}]
        assert aws(lab, "ec2").describe_snapshot_attribute(SnapshotId=source_id, Attribute="createVolumePermission")["CreateVolumePermissions"] == []
    reported = {c["snapshot_id"]: c for s in instance["snapshots"] for c in s["copies"]}
    assert set(reported) == {c["SnapshotId"] for c in copies.values()}
    assert all((c["shared_with"], c["kms_key_id"], c["region"]) == ([FORENSIC_ACCOUNT], suspect["copy_key"], COPY_REGION) for c in reported.values())


def test_a_rerun_after_a_partial_run_completes_only_the_missing_volume_and_then_changes_nothing(lab, suspect):
    # An earlier run that stopped after snapshotting the root and one data volume, before tagging them one by one.
    early = [{"Key": "IncidentTicket", "Value": TICKET}, {"Key": "Evidence", "Value": "Yes"}, {"Key": "SourceInstanceId", "Value": suspect["instance_id"]}]
    aws(lab, "ec2").create_snapshots(InstanceSpecification={"InstanceId": suspect["instance_id"], "ExcludeDataVolumeIds": [suspect["crowded"]]},
                                     TagSpecifications=[{"ResourceType": "snapshot", "Tags": early}])
    lab.clear_requests()
    result = run_module(lab, "forensic_snapshot", {"instance_ids": [suspect["instance_id"]], "ticket": TICKET})
    assert not result.get("failed"), result.get("msg")
    [create] = [r for r in lab.requests() if r["action"] == "CreateSnapshots"]
    assert (create["params"]["InstanceSpecification.ExcludeBootVolume"], create["params"]["InstanceSpecification.ExcludeDataVolumeId.1"]) == (
        "true", suspect["customer"])
    made = originals(lab, suspect["instance_id"])
    assert len(aws(lab, "ec2").describe_snapshots(Filters=[{"Name": "tag:IncidentTicket", "Values": [TICKET]}])["Snapshots"]) == 3
    assert {tags(s)["SourceVolumeId"]: v for v, s in made.items()} == {v: v for v in suspect["volumes"].values()}
    assert [s["created"] for s in result["instances"][0]["snapshots"]] == [False, False, True]

    lab.clear_requests()
    again = run_module(lab, "forensic_snapshot", {"instance_ids": [suspect["instance_id"]], "ticket": TICKET})
    assert again["changed"] is False and mutating(lab.requests()) == []


def test_check_mode_lists_the_snapshots_and_copies_it_would_make_and_makes_none(lab, suspect):
    result = run_module(lab, "forensic_snapshot", {"instance_ids": [suspect["instance_id"]], "ticket": TICKET, "copy_to": copy_to(suspect)},
                        "--check", "--diff")
    assert not result.get("failed"), result.get("msg")
    assert mutating(lab.requests()) == []
    snapshots = result["instances"][0]["snapshots"]
    assert [(s["device_name"], s["state"]) for s in snapshots] == [("/dev/xvda", "planned"), ("/dev/sdf", "planned"), ("/dev/sdg", "planned")]
    assert all([(c["state"], c["region"]) for c in s["copies"]] == [("planned", COPY_REGION)] for s in snapshots)
    planned = [a["action"] for a in result["actions"]]
    assert (planned.count("CreateSnapshots"), planned.count("CopySnapshot"), planned.count("ModifySnapshotAttribute")) == (1, 3, 3)
    assert {a["outcome"] for a in result["actions"]} == {"planned"}
    assert all(v["snapshot_id"] is None for v in result["diff"]["before"][suspect["instance_id"]].values())


def test_a_copy_key_managed_by_aws_is_refused_before_any_change(lab, suspect):
    result = run_module(lab, "forensic_snapshot", {"instance_ids": [suspect["instance_id"]], "ticket": TICKET,
                                                   "copy_to": {"account_id": FORENSIC_ACCOUNT, "kms_key_id": "alias/aws/ebs"}})
    assert result.get("failed")
    assert "copy_to.kms_key_id 'alias/aws/ebs' is an AWS managed key" in result["msg"]
    assert mutating(lab.requests()) == []


def test_analyze_attaches_volumes_of_the_shared_copies_in_the_forensic_account_and_records_it(lab, demo, suspect):
    done = run_module(lab, "forensic_snapshot", {"instance_ids": [suspect["instance_id"]], "ticket": TICKET, "copy_to": copy_to(suspect)})
    copy_ids = [c["snapshot_id"] for s in done["instances"][0]["snapshots"] for c in s["copies"]]
    credentials = client(lab, "sts").assume_role(RoleArn=f"arn:aws:iam::{FORENSIC_ACCOUNT}:role/forensics", RoleSessionName="analyst")["Credentials"]
    theirs = client(lab, "ec2", COPY_REGION, credentials)
    image = theirs.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"][0]
    workstation = theirs.run_instances(ImageId=image["ImageId"], MinCount=1, MaxCount=1, InstanceType="t3.large", Placement={"AvailabilityZone": "us-west-2b"},
                                       BlockDeviceMappings=[{"DeviceName": image["RootDeviceName"], "Ebs": {"VolumeSize": 8}}])["Instances"][0]["InstanceId"]
    env = {"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
           "AWS_SESSION_TOKEN": credentials["SessionToken"], "AWS_REGION": COPY_REGION}
    extra_vars = {"ticket": TICKET, "analysis_instance_id": workstation, "snapshot_ids": copy_ids, "evidence_bucket": demo["bucket"]}
    lab.clear_requests()
    planned = run_module(lab, "analysis_volume", {"snapshot_ids": copy_ids, "instance_id": workstation, "ticket": TICKET}, "--check", env=env)
    assert [(a["volume_id"], a["device_name"], a["state"]) for a in planned["attachments"]] == [
        ("(planned)", device, "planned") for device in ("/dev/sdf", "/dev/sdg", "/dev/sdh")]
    assert mutating(lab.requests()) == []
    code, output = run_playbook(lab, "analyze.yml", extra_vars=extra_vars, env=env)
    assert code == 0, json.dumps(output["stats"])

    volumes = theirs.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [workstation]}])["Volumes"]
    analysis = {v["SnapshotId"]: v for v in volumes if v.get("SnapshotId") in copy_ids}
    assert set(analysis) == set(copy_ids)
    assert sorted(v["Attachments"][0]["Device"] for v in analysis.values()) == ["/dev/sdf", "/dev/sdg", "/dev/sdh"]
    for snapshot_id, volume in analysis.items():
        assert volume["AvailabilityZone"] == "us-west-2b"
        assert {k: tags(volume)[k] for k in ("IncidentTicket", "Evidence", "SourceSnapshotId", "AnalysisInstanceId")} == {
            "IncidentTicket": TICKET, "Evidence": "Yes", "SourceSnapshotId": snapshot_id, "AnalysisInstanceId": workstation}
    assert [r["action"] for r in mutating(lab.requests()) if r["service"] == "ec2"] == ["CreateVolume"] * 3 + ["AttachVolume"] * 3

    manifest = json.loads(aws(lab, "s3").get_object(Bucket=demo["bucket"], Key=f"{TICKET}/manifest.json")["Body"].read())
    validate(manifest)
    recorded = [a for a in manifest["actions"] if a["stage"] == "analysis"]
    assert sorted((a["action"], a["outcome"]) for a in recorded) == [("AttachVolume", "ok")] * 3 + [("CreateVolume", "ok")] * 3
    assert {a["parameters"]["InstanceId"] for a in recorded if a["action"] == "AttachVolume"} == {workstation}
    assert manifest["runs"][-1]["actor"]["account"] == FORENSIC_ACCOUNT and manifest["runs"][-1]["playbook"] == "analyze.yml"

    lab.clear_requests()
    code, output = run_playbook(lab, "analyze.yml", extra_vars=extra_vars, env=env)
    assert code == 0 and output["stats"]["localhost"]["changed"] == 0
    assert mutating(lab.requests()) == []


def test_a_volume_snapshotted_moments_ago_is_retried_not_failed(lab, suspect):
    # AWS refuses a new snapshot of a volume for a while after the last one.
    lab.configure(faults=[{"service": "ec2", "action": "CreateSnapshots", "code": "SnapshotCreationPerVolumeRateExceeded", "count": 1},
                          {"service": "ec2", "action": "CreateTags", "code": "RequestLimitExceeded", "status": 503, "count": 1}])
    result = run_module(lab, "forensic_snapshot", {"instance_ids": [suspect["instance_id"]], "ticket": TICKET})
    lab.configure(faults=[])
    assert not result.get("failed"), result.get("msg")
    attempts = [r["error_code"] for r in lab.requests() if r["action"] == "CreateSnapshots"]
    assert attempts == ["SnapshotCreationPerVolumeRateExceeded", None]
    assert len(originals(lab, suspect["instance_id"])) == 3
    assert [(a["action"], a["outcome"]) for a in result["actions"]][0] == ("CreateSnapshots", "ok")
