"""respond.yml end to end on the demo estate, checked through an independent boto3 client."""

import base64
import datetime
import hashlib
import json

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest import validate
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_playbook

HTTPS_ONLY = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}]


def read_manifest(lab, bucket):
    s3 = aws(lab, "s3")
    head = s3.head_object(Bucket=bucket, Key=f"{TICKET}/manifest.json", ChecksumMode="ENABLED")
    body = s3.get_object(Bucket=bucket, Key=f"{TICKET}/manifest.json")["Body"].read()
    return head, body, json.loads(body)


def instance_attribute(ec2, instance_id, attribute, key):
    return ec2.describe_instance_attribute(InstanceId=instance_id, Attribute=attribute)[key]["Value"]


def test_respond_contains_captures_snapshots_and_records(lab, demo):
    instance_id = demo["compromised_instance_id"]
    code, output = run_playbook(lab, "respond.yml")
    assert code == 0, json.dumps(output["stats"])
    ec2, asg, elb, elbv2 = (aws(lab, s) for s in ("ec2", "autoscaling", "elb", "elbv2"))

    # Protected: termination and stop protection on, shutdown behaviour stop, volumes kept.
    assert instance_attribute(ec2, instance_id, "disableApiTermination", "DisableApiTermination") is True
    assert instance_attribute(ec2, instance_id, "disableApiStop", "DisableApiStop") is True
    assert instance_attribute(ec2, instance_id, "instanceInitiatedShutdownBehavior", "InstanceInitiatedShutdownBehavior") == "stop"
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert all(m["Ebs"]["DeleteOnTermination"] is False for m in instance["BlockDeviceMappings"])

    # Isolated: every interface in the quarantine group only; no inbound rule, egress 443 only.
    interfaces = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])["NetworkInterfaces"]
    groups = {g["GroupId"] for eni in interfaces for g in eni["Groups"]}
    assert len(groups) == 1 and all(len(eni["Groups"]) == 1 for eni in interfaces)
    quarantine = ec2.describe_security_groups(GroupIds=list(groups))["SecurityGroups"][0]
    assert quarantine["GroupName"] == "aws-ir-quarantine"
    assert quarantine["IpPermissions"] == []
    assert [{k: r[k] for k in ("IpProtocol", "FromPort", "ToPort")} for r in quarantine["IpPermissionsEgress"]] == HTTPS_ONLY

    # Out of service: not in the group, whose desired capacity fell from 2 to 1; in no load balancer.
    assert asg.describe_auto_scaling_instances(InstanceIds=[instance_id])["AutoScalingInstances"] == []
    assert asg.describe_auto_scaling_groups(AutoScalingGroupNames=[demo["asg_name"]])["AutoScalingGroups"][0]["DesiredCapacity"] == 1
    clb = elb.describe_load_balancers(LoadBalancerNames=[demo["clb_name"]])["LoadBalancerDescriptions"][0]
    assert instance_id not in [i["InstanceId"] for i in clb["Instances"]]
    targets = elbv2.describe_target_health(TargetGroupArn=demo["target_group_arn"])["TargetHealthDescriptions"]
    assert [t["TargetHealth"]["State"] for t in targets if t["Target"]["Id"] == instance_id] == ["draining"]

    # Snapshots: one per EBS volume, tagged with the ticket; the volumes carry the ticket too.
    volume_ids = sorted(demo["volume_ids"][instance_id])
    snapshots = ec2.describe_snapshots(Filters=[{"Name": "tag:IncidentTicket", "Values": [TICKET]}])["Snapshots"]
    assert sorted(s["VolumeId"] for s in snapshots) == volume_ids
    for snapshot in snapshots:
        tags = {t["Key"]: t["Value"] for t in snapshot["Tags"]}
        assert (tags["Evidence"], tags["SourceInstanceId"], tags["SourceVolumeId"]) == ("Yes", instance_id, snapshot["VolumeId"])
    for volume in ec2.describe_volumes(VolumeIds=volume_ids)["Volumes"]:
        assert {"Key": "IncidentTicket", "Value": TICKET} in volume["Tags"]

    # Volatile data: one SSM command whose Comment holds the ticket; its S3 output hashes as recorded.
    commands = aws(lab, "ssm").list_commands(InstanceId=instance_id)["Commands"]
    assert len(commands) == 1 and TICKET in commands[0]["Comment"]
    head, body, manifest = read_manifest(lab, demo["bucket"])
    artifacts = manifest["instances"][instance_id]["artifacts"]
    assert artifacts, "no artifact recorded"
    s3 = aws(lab, "s3")
    for artifact in artifacts:
        data = s3.get_object(Bucket=artifact["bucket"], Key=artifact["key"], VersionId=artifact["version_id"])["Body"].read()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (artifact["sha256"], artifact["size_bytes"])
        assert artifact["key"].startswith(f"{TICKET}/volatile/{commands[0]['CommandId']}/{instance_id}/awsrunShellScript/0.awsrunShellScript/")

    # The manifest: SHA-256 checksum and Object Lock retention on the object, valid against the schema.
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert head["ObjectLockMode"] == "GOVERNANCE"
    days = (head["ObjectLockRetainUntilDate"] - datetime.datetime.now(datetime.timezone.utc)).days
    assert 363 <= days <= 365
    validate(manifest)
    before = manifest["instances"][instance_id]["state_before"]
    assert [eni["groups"] for eni in before["network_interfaces"]] == [[demo["web_sg_id"]]]
    assert manifest["runs"][-1]["status"] == "complete"
    assert manifest["ticket"] == {"raw": TICKET, "normalized": TICKET}


def test_second_run_changes_nothing_and_creates_nothing(lab, demo, tmp_path):
    local = {"ticket": TICKET, "evidence_local_dir": str(tmp_path)}
    code, _output = run_playbook(lab, "respond.yml", extra_vars=local)
    assert code == 0
    written = {path.name: path.stat().st_mtime_ns for path in (tmp_path / TICKET).iterdir()}
    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml", extra_vars=local)
    assert code == 0
    assert output["stats"]["localhost"]["changed"] == 0
    assert [r["action"] for r in mutating(lab.requests())] == []
    assert {path.name: path.stat().st_mtime_ns for path in (tmp_path / TICKET).iterdir()} == written
    assert len(manifest_versions(lab, demo["bucket"])) == 1


def test_instance_ssm_cannot_reach_is_reported_and_the_rest_of_the_response_goes_on(lab, demo):
    instance_id = demo["compromised_instance_id"]
    aws(lab, "ec2").create_tags(Resources=[instance_id], Tags=[{"Key": "lab:ssm", "Value": "ConnectionLost"}])
    code, _output = run_playbook(lab, "respond.yml")
    assert code == 0
    _head, _body, manifest = read_manifest(lab, demo["bucket"])
    record = manifest["instances"][instance_id]
    assert record["outcome"]["volatile_capture"]["status"] == "connection_lost"
    assert record["artifacts"] == []
    assert len(record["snapshots"]) == len(demo["volume_ids"][instance_id])
    assert aws(lab, "ssm").list_commands(InstanceId=instance_id)["Commands"] == []
