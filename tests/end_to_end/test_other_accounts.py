"""respond.yml with member_role: one run holds instances of two accounts in two Regions, each acted on in its own.

The lab is multi-account as AWS is: STS AssumeRole of arn:aws:iam::ACCOUNT:role/NAME gives credentials that
act in ACCOUNT (lab/README.md). The run's own account is 123456789012 (us-east-1, the demo estate); the member
account 444455556666 holds one instance in us-west-2, built here with that account's credentials. Everything
is read back with boto3 in the account and Region it belongs to.
"""

import copy
import hashlib
import json
import re

import boto3
import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest import validate
from tests.end_to_end.findings import sample
from tests.end_to_end.support import aws
from tests.end_to_end.support import first_failure
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import task_result

HOME_ACCOUNT, HOME_REGION = "123456789012", "us-east-1"
MEMBER_ACCOUNT, MEMBER_REGION = "444455556666", "us-west-2"
MEMBER_ROLE = "arn:aws:iam::{account_id}:role/aws-ir-member-responder"
MEMBER_ROLE_ARN = f"arn:aws:iam::{MEMBER_ACCOUNT}:role/aws-ir-member-responder"
MEMBER_BUCKET = f"aws-ir-evidence-{MEMBER_ACCOUNT}-{MEMBER_REGION}"
TICKET = "INC-424242"
REFUSAL_TASK = "Fail the run when a stage failed"


def member(lab, service, region=MEMBER_REGION):
    """A boto3 client of the member account (AssumeRole of its role, as an analyst there would)."""
    credentials = aws(lab, "sts").assume_role(RoleArn=MEMBER_ROLE_ARN, RoleSessionName="analyst")["Credentials"]
    return boto3.client(service, endpoint_url=lab.endpoint_url, region_name=region, aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])


def launch_member_instance(lab):
    """(instance id, its volume ids): one instance with a root and a data volume, in the member account's own VPC."""
    ec2 = member(lab, "ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.40.1.0/24", AvailabilityZone=f"{MEMBER_REGION}a")["Subnet"]["SubnetId"]
    group_id = ec2.create_security_group(GroupName="app-sg", Description="app tier", VpcId=vpc_id)["GroupId"]
    image_id = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    [instance] = ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet_id,
                                   SecurityGroupIds=[group_id],
                                   BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 10, "VolumeType": "gp3"}}])["Instances"]
    volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]}])["Volumes"]
    return instance["InstanceId"], sorted(v["VolumeId"] for v in volumes)


def create_member_bucket(lab):
    """The member account's evidence bucket in the member instance's Region, as prepare.yml makes it there (versioned)."""
    s3 = member(lab, "s3")
    s3.create_bucket(Bucket=MEMBER_BUCKET, CreateBucketConfiguration={"LocationConstraint": MEMBER_REGION})
    s3.put_bucket_versioning(Bucket=MEMBER_BUCKET, VersioningConfiguration={"Status": "Enabled"})


@pytest.fixture
def estate(lab, demo_before_any_case):
    """The demo's compromised instance (run's own account and Region) and one member-account instance in another Region,
    with the member account's evidence bucket there."""
    instance_id, volume_ids = launch_member_instance(lab)
    create_member_bucket(lab)
    lab.clear_requests()
    return {"demo": demo_before_any_case, "home_instance": demo_before_any_case["compromised_instance_id"],
            "member_instance": instance_id, "member_volumes": volume_ids}


def arn(region, account, instance_id):
    return f"arn:aws:ec2:{region}:{account}:instance/{instance_id}"


def two_account_finding(estate):
    """An ASFF finding (as Security Hub aggregates them) whose Resources name both instances, each by its ARN."""
    finding = sample("asff-finding.json", [estate["home_instance"]])
    other = copy.deepcopy(finding["Resources"][0])
    other.update(Id=arn(MEMBER_REGION, MEMBER_ACCOUNT, estate["member_instance"]), Region=MEMBER_REGION)
    finding["Resources"].append(other)
    return finding


def quarantined(ec2, instance_id):
    interfaces = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])["NetworkInterfaces"]
    return {g["GroupName"] for eni in interfaces for g in eni["Groups"]} == {"aws-ir-quarantine"}


def interface_groups(ec2, instance_id):
    """{network interface id: sorted security group ids} of the instance."""
    interfaces = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])["NetworkInterfaces"]
    return {eni["NetworkInterfaceId"]: sorted(g["GroupId"] for g in eni["Groups"]) for eni in interfaces}


def protected(ec2, instance_id):
    return ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="disableApiTermination")["DisableApiTermination"]["Value"]


def snapshot_volumes(ec2, instance_id):
    filters = [{"Name": "tag:IncidentTicket", "Values": [TICKET]}, {"Name": "tag:SourceInstanceId", "Values": [instance_id]}]
    return sorted(s["VolumeId"] for s in ec2.describe_snapshots(Filters=filters)["Snapshots"])


def run(lab, **extra):
    return run_playbook(lab, "respond.yml", extra_vars=dict({"ticket": TICKET}, **extra))


def test_a_finding_naming_instances_in_two_accounts_contains_and_snapshots_each_in_its_own(lab, estate):
    home, other = estate["home_instance"], estate["member_instance"]
    code, output = run(lab, finding=two_account_finding(estate), member_role=MEMBER_ROLE)
    assert code == 0, first_failure(output)
    # The member role's temporary credentials (STS access key ids begin with ASIA) are in no task result, loop item or
    # invocation: what the JSON callback prints is what an AWX job event stores.
    assert not re.search(r"ASIA[A-Z0-9]{16}", json.dumps(output))

    home_ec2, member_ec2 = aws(lab, "ec2"), member(lab, "ec2")
    assert quarantined(home_ec2, home) and protected(home_ec2, home)
    assert quarantined(member_ec2, other) and protected(member_ec2, other)
    assert snapshot_volumes(home_ec2, home) == sorted(estate["demo"]["volume_ids"][home])
    assert snapshot_volumes(member_ec2, other) == estate["member_volumes"]
    # Each account holds only its own instance's snapshots: none was made in the other.
    assert snapshot_volumes(home_ec2, other) == [] and snapshot_volumes(member(lab, "ec2", HOME_REGION), other) == []
    # The snapshots of the member instance were made by the member account (the lab logs the account each request acted in).
    made_by = {r["account"] for r in mutating(lab.requests()) if r["action"] == "CreateSnapshots" and other in json.dumps(r["params"])}
    assert made_by == {MEMBER_ACCOUNT}

    [version] = manifest_versions(lab, estate["demo"]["bucket"], TICKET)
    manifest = version["manifest"]
    validate(manifest)
    by_instance = {i: [manifest["actions"][n] for n in manifest["instances"][i]["action_indexes"]] for i in (home, other)}
    stages = {i: {a["stage"] for a in actions} for i, actions in by_instance.items()}
    assert {"containment", "snapshot"} <= stages[home] and {"containment", "snapshot"} <= stages[other]
    assert {(a["account_id"], a["region"]) for a in by_instance[home]} == {(HOME_ACCOUNT, HOME_REGION)}
    # The member instance's changes were made where it is; the finding's artifact (and Security Hub's note) where the case is kept.
    assert {(a["stage"], a["account_id"], a["region"]) for a in by_instance[other]} == {
        ("containment", MEMBER_ACCOUNT, MEMBER_REGION), ("volatile_capture", MEMBER_ACCOUNT, MEMBER_REGION),
        ("snapshot", MEMBER_ACCOUNT, MEMBER_REGION), ("detection", HOME_ACCOUNT, HOME_REGION)}
    assert all("account_id" in a and "region" in a for a in manifest["actions"])
    assert manifest["instances"][other]["snapshots"] and manifest["instances"][other]["artifacts"][0]["kind"] == "finding"

    # Volatile data: each instance's SSM output is in the evidence bucket of its own account and Region, as recorded.
    captured = {i: [a for a in manifest["instances"][i]["artifacts"] if a["kind"] != "finding"] for i in (home, other)}
    assert captured[home] and {a["bucket"] for a in captured[home]} == {estate["demo"]["bucket"]}
    assert captured[other] and {a["bucket"] for a in captured[other]} == {MEMBER_BUCKET}
    member_s3 = member(lab, "s3")
    for artifact in captured[other]:
        body = member_s3.get_object(Bucket=MEMBER_BUCKET, Key=artifact["key"], VersionId=artifact["version_id"])["Body"].read()
        assert hashlib.sha256(body).hexdigest() == artifact["sha256"]
    assert {(a["account_id"], a["region"]) for a in by_instance[other] if a["stage"] == "volatile_capture"} == {(MEMBER_ACCOUNT, MEMBER_REGION)}


def test_release_without_member_role_restores_the_runs_own_instances_and_names_those_of_other_accounts_it_leaves_contained(lab, estate):
    home, other = estate["home_instance"], estate["member_instance"]
    code, output = run(lab, finding=two_account_finding(estate), member_role=MEMBER_ROLE, capture_volatile=False)
    assert code == 0, first_failure(output)
    code, output = run_playbook(lab, "release.yml", extra_vars={"ticket": TICKET})
    assert code == 0, first_failure(output)
    assert not quarantined(aws(lab, "ec2"), home) and quarantined(member(lab, "ec2"), other)
    said = task_result(output, "Name the instances of other accounts and Regions this release leaves contained")["msg"]
    assert f"other accounts and Regions: {arn(MEMBER_REGION, MEMBER_ACCOUNT, other)}." in said
    assert f"account {HOME_ACCOUNT}, Region {HOME_REGION}; these stay contained" in said


def test_release_with_member_role_restores_every_instance_in_its_own_account_and_records_where(lab, estate):
    home, other = estate["home_instance"], estate["member_instance"]
    member_ec2 = member(lab, "ec2")
    groups_before = interface_groups(member_ec2, other)
    code, output = run(lab, finding=two_account_finding(estate), member_role=MEMBER_ROLE, capture_volatile=False)
    assert code == 0, first_failure(output)
    assert quarantined(member_ec2, other)

    lab.clear_requests()
    code, output = run_playbook(lab, "release.yml", extra_vars={"ticket": TICKET, "member_role": MEMBER_ROLE})
    assert code == 0, first_failure(output)
    assert not quarantined(aws(lab, "ec2"), home)
    # Released where it is, to exactly the groups it had, by the member account; its termination protection as before (off).
    assert interface_groups(member_ec2, other) == groups_before and not protected(member_ec2, other)
    made_by = {r["account"] for r in mutating(lab.requests()) if r["action"] == "ModifyNetworkInterfaceAttribute"
               and any(eni in json.dumps(r["params"]) for eni in groups_before)}
    assert made_by == {MEMBER_ACCOUNT}
    manifest = manifest_versions(lab, estate["demo"]["bucket"], TICKET)[0]["manifest"]
    released = {(a["account_id"], a["region"]) for a in manifest["actions"] if a["stage"] == "release" and other in a["instance_ids"]}
    assert released == {(MEMBER_ACCOUNT, MEMBER_REGION)}
    assert not re.search(r"ASIA[A-Z0-9]{16}", json.dumps(output))


def verify(lab, **extra):
    code, output = run_playbook(lab, "verify.yml", extra_vars=dict({"ticket": TICKET}, **extra))
    return code, task_result(output, "secops.aws_ir.verify : Verify the manifest's hash chain, every artifact and every snapshot")


def test_verify_checks_the_evidence_of_every_account_with_member_role_and_never_calls_it_gone_without(lab, estate):
    code, output = run(lab, finding=two_account_finding(estate), member_role=MEMBER_ROLE)
    assert code == 0, first_failure(output)
    member_snapshots = [(s["SnapshotId"], s["VolumeId"]) for s in member(lab, "ec2").describe_snapshots(OwnerIds=["self"])["Snapshots"]
                        if s["VolumeId"] in estate["member_volumes"]]
    member_snapshot, member_volume = member_snapshots[0]

    code, result = verify(lab, member_role=MEMBER_ROLE)
    assert code == 0 and result["intact"], result.get("verdict")
    assert result["snapshots_checked"] == len(estate["member_volumes"]) + len(estate["demo"]["volume_ids"][estate["home_instance"]])

    # Without the member role, the member account's evidence is not reported gone: it is reported as not checked, and why.
    code, result = verify(lab)
    assert code != 0 and not result["intact"]
    problems = {d["object"]: d["problem"] for d in result["discrepancies"]}
    assert problems[member_snapshot] == (f"cannot be checked ({MEMBER_REGION}): it is in account {MEMBER_ACCOUNT}, which these credentials "
                                         f"(account {HOME_ACCOUNT}) do not reach: give member_role")
    assert all(p.startswith("cannot be checked") for p in problems.values())
    # The triage output in the member account's bucket, read again only with that account's credentials.
    assert any(o.startswith(f"s3://{MEMBER_BUCKET}/") for o in problems)

    # An administrator of the member account deletes a snapshot: verify with the member role says so.
    member(lab, "ec2").delete_snapshot(SnapshotId=member_snapshot)
    code, result = verify(lab, member_role=MEMBER_ROLE)
    assert code != 0
    assert [d["problem"] for d in result["discrepancies"]] == [f"no longer exists (snapshot of {member_volume})"]


def test_a_failure_in_another_account_after_the_first_change_is_recorded_with_every_change_made(lab, estate):
    home, other = estate["home_instance"], estate["member_instance"]
    # The run's own instance is snapshotted first; the member instance's CreateSnapshots then fails.
    lab.configure(faults=[{"service": "ec2", "action": "CreateSnapshots", "code": "InternalError", "status": 500, "after": 1, "count": 1}])
    code, output = run(lab, finding=two_account_finding(estate), member_role=MEMBER_ROLE, capture_volatile=False)
    assert code != 0
    assert quarantined(member(lab, "ec2"), other) and snapshot_volumes(member(lab, "ec2"), other) == []
    manifest = manifest_versions(lab, estate["demo"]["bucket"], TICKET)[-1]["manifest"]
    assert manifest["runs"][-1]["status"] == "failed"
    recorded = {(a["stage"], a["action"], a["outcome"], a["account_id"], a["region"]) for a in manifest["actions"] if other in a["instance_ids"]}
    assert ("containment", "ModifyNetworkInterfaceAttribute", "ok", MEMBER_ACCOUNT, MEMBER_REGION) in recorded
    assert ("snapshot", "CreateSnapshots", "error", MEMBER_ACCOUNT, MEMBER_REGION) in recorded
    assert snapshot_volumes(aws(lab, "ec2"), home) == sorted(estate["demo"]["volume_ids"][home])


def test_instances_given_as_arns_in_another_account(lab, estate):
    other = estate["member_instance"]
    code, output = run(lab, instance_ids=[arn(MEMBER_REGION, MEMBER_ACCOUNT, other)], member_role=MEMBER_ROLE)
    assert code == 0, first_failure(output)
    member_ec2 = member(lab, "ec2")
    assert quarantined(member_ec2, other) and snapshot_volumes(member_ec2, other) == estate["member_volumes"]
    # The demo's instances, in the run's own account, were not named and are left alone.
    assert not quarantined(aws(lab, "ec2"), estate["home_instance"])
    manifest = manifest_versions(lab, estate["demo"]["bucket"], TICKET)[-1]["manifest"]
    assert list(manifest["instances"]) == [other]
    assert {(a["account_id"], a["region"]) for a in manifest["actions"] if other in a["instance_ids"]} == {(MEMBER_ACCOUNT, MEMBER_REGION)}


def test_a_case_whose_instances_are_all_in_another_account_is_released_there(lab, estate):
    # Nothing of the case is in the run's own account: no instance there carries the ticket, the manifest names the member instance.
    other = estate["member_instance"]
    member_ec2 = member(lab, "ec2")
    groups_before = interface_groups(member_ec2, other)
    code, output = run(lab, instance_ids=[arn(MEMBER_REGION, MEMBER_ACCOUNT, other)], member_role=MEMBER_ROLE, capture_volatile=False)
    assert code == 0, first_failure(output)
    code, output = run_playbook(lab, "release.yml", extra_vars={"ticket": TICKET, "member_role": MEMBER_ROLE})
    assert code == 0, first_failure(output)
    assert interface_groups(member_ec2, other) == groups_before
    assert not quarantined(aws(lab, "ec2"), estate["home_instance"])


def refused_before_any_change(lab, estate, output, *expected):
    message = first_failure(output)[1]
    for words in expected:
        assert words in message, message
    assert "Nothing was changed." in task_result(output, REFUSAL_TASK)["msg"]
    assert mutating(lab.requests()) == []
    assert aws(lab, "s3").list_objects_v2(Bucket=estate["demo"]["bucket"]).get("KeyCount") == 0


def test_a_member_role_that_cannot_be_assumed_stops_the_run_before_any_change(lab, estate):
    lab.configure(faults=[{"service": "sts", "action": "AssumeRole", "code": "AccessDenied", "status": 403,
                           "message": "not authorized to perform: sts:AssumeRole"}])
    code, output = run(lab, finding=two_account_finding(estate), member_role=MEMBER_ROLE)
    assert code != 0
    refused_before_any_change(lab, estate, output, f"member_role: {MEMBER_ROLE_ARN} of account {MEMBER_ACCOUNT} cannot be assumed: AccessDenied")


def test_a_region_that_cannot_be_reached_stops_the_run_before_any_change(lab, estate):
    finding = two_account_finding(estate)
    finding["Resources"][1].update(Id=arn("xx-nowhere-1", MEMBER_ACCOUNT, estate["member_instance"]), Region="xx-nowhere-1")
    code, output = run(lab, finding=finding, member_role=MEMBER_ROLE)
    assert code != 0
    refused_before_any_change(lab, estate, output, "Region xx-nowhere-1 cannot be reached",
                              f"{estate['member_instance']} of account {MEMBER_ACCOUNT}")


def test_an_instance_missing_from_its_account_stops_the_run_before_any_change(lab, estate):
    # The member instance's ARN with the run's own account: it is not there.
    code, output = run(lab, instance_ids=[arn(MEMBER_REGION, HOME_ACCOUNT, estate["member_instance"])], member_role=MEMBER_ROLE)
    assert code != 0
    refused_before_any_change(lab, estate, output, f"{estate['member_instance']} not found in account {HOME_ACCOUNT}, Region {MEMBER_REGION}")


def test_a_member_account_without_an_evidence_bucket_in_the_region_stops_the_run_before_any_change(lab, estate):
    member(lab, "s3").delete_bucket(Bucket=MEMBER_BUCKET)
    lab.clear_requests()
    code, output = run(lab, finding=two_account_finding(estate), member_role=MEMBER_ROLE)
    assert code != 0
    refused_before_any_change(lab, estate, output, f"evidence bucket '{MEMBER_BUCKET}' does not exist",
                              f"account {MEMBER_ACCOUNT}, Region {MEMBER_REGION}", "capture_volatile=false")


def test_a_memory_image_in_another_account_is_refused_before_any_change(lab, estate):
    code, output = run(lab, finding=two_account_finding(estate), member_role=MEMBER_ROLE, memory=True)
    assert code != 0
    refused_before_any_change(lab, estate, output, "memory images in other accounts and Regions are not supported yet",
                              f"account {MEMBER_ACCOUNT}, Region {MEMBER_REGION}", "memory=false")


def test_without_member_role_a_finding_in_another_account_is_refused_naming_finding_and_reason(lab, estate):
    finding = two_account_finding(estate)
    code, output = run(lab, finding=finding)
    assert code != 0
    refused_before_any_change(lab, estate, output, f"securityhub finding {finding['Id']}",
                              f"instance {estate['member_instance']} is in account {MEMBER_ACCOUNT}, Region {MEMBER_REGION}; "
                              f"this run acts in account {HOME_ACCOUNT}, Region {HOME_REGION}")
