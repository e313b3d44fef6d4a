"""playbooks/prepare.yml on an empty lab account: --check lists what is missing and creates nothing,
a run creates it, a second run changes nothing, and respond.yml then runs on what it made.

prepare.yml is run by an administrator, not by the responder: its calls go to a lab of their own,
outside the responder policy's record (tests/end_to_end/test_responder_policy.py)."""

import json

import pytest

from lab import Lab
from lab.scene import build_demo_scene
from lab.scene import build_multi_vpc_scene
from tests.end_to_end.support import REGION
from tests.end_to_end.support import REPO
from tests.end_to_end.support import first_failure
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_module
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import task_result
from tests.end_to_end.test_containment import EVERYWHERE
from tests.end_to_end.test_containment import interface_groups
from tests.end_to_end.test_containment import rule_destinations
from tests.end_to_end.test_job_templates import run_like_awx
from tests.end_to_end.test_job_templates import survey_answers

SUMMARY = "Say what is missing or different (check mode) or what was changed"


@pytest.fixture(scope="module")
def admin_lab():
    with Lab() as running:
        yield running


@pytest.fixture
def empty_account(admin_lab):
    """The demo's instances, without the evidence bucket the demo makes: an account nobody prepared."""
    admin_lab.reset()
    scene = build_demo_scene(admin_lab.endpoint_url, region=REGION, ticket=TICKET)
    s3 = aws(admin_lab, "s3")
    s3.delete_bucket(Bucket=scene["bucket"])
    admin_lab.clear_requests()
    return scene


def summary(output):
    return task_result(output, SUMMARY)["msg"]


def test_check_mode_lists_what_is_missing_and_creates_nothing(admin_lab, empty_account):
    code, output = run_playbook(admin_lab, "prepare.yml", "--check", extra_vars={})
    assert code == 0, output["stats"]
    lines = summary(output)
    assert lines[-1] == "6 of 6 missing or different; nothing was changed (check mode)", lines
    # amazon.aws.cloudwatchevent_rule has no check mode: Ansible skips it, and the summary says so.
    assert "finding rule aws-ir-findings: not checked (its module has no check mode)" in lines
    assert f"evidence bucket {empty_account['bucket']}: missing or different" in lines
    assert mutating(admin_lab.requests()) == []
    assert aws(admin_lab, "s3").list_buckets()["Buckets"] == []


def test_prepare_makes_a_bucket_respond_accepts_and_a_second_run_changes_nothing(admin_lab, empty_account):
    code, output = run_playbook(admin_lab, "prepare.yml", extra_vars={})
    assert code == 0, output["stats"]
    bucket = empty_account["bucket"]
    s3, kms = aws(admin_lab, "s3"), aws(admin_lab, "kms")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    assert lock == {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 365}}}
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    evidence_key = kms.describe_key(KeyId="alias/aws-ir-evidence")["KeyMetadata"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": evidence_key["Arn"]}
    assert evidence_key["KeyManager"] == "CUSTOMER" and evidence_key["KeySpec"] == "SYMMETRIC_DEFAULT"
    signing = kms.describe_key(KeyId="alias/aws-ir-manifest-signing")["KeyMetadata"]
    assert (signing["KeySpec"], signing["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    statements = {s["Sid"]: s for s in json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]}
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion"} <= set(statements["RefuseEvidenceDeletion"]["Action"])
    assert statements["RefuseNonTLS"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statements["RefuseOtherAccounts"]["Condition"] == {"StringNotEquals": {"aws:PrincipalAccount": [empty_account["account_id"]]}}
    iam = aws(admin_lab, "iam")
    policy = iam.get_role_policy(RoleName="aws-ir-responder", PolicyName="aws-ir-responder")["PolicyDocument"]
    assert policy == json.loads((REPO / "docs" / "iam" / "responder-policy.json").read_text(encoding="utf-8"))
    queue_url = aws(admin_lab, "sqs").get_queue_url(QueueName="aws-ir-findings")["QueueUrl"]
    targets = aws(admin_lab, "events").list_targets_by_rule(Rule="aws-ir-findings")["Targets"]
    assert [t["Arn"].rsplit(":", 1)[1] for t in targets] == ["aws-ir-findings"] and queue_url.endswith("/aws-ir-findings")

    admin_lab.clear_requests()
    code, output = run_playbook(admin_lab, "prepare.yml", extra_vars={})
    assert code == 0 and output["stats"]["localhost"]["changed"] == 0, summary(output)
    assert mutating(admin_lab.requests()) == []

    # respond.yml on the prepared account, with the default bucket name prepare.yml used.
    code, output = run_playbook(admin_lab, "respond.yml", extra_vars={"ticket": TICKET})
    assert code == 0, [h.get("msg") for p in output["plays"] for t in p["tasks"] for h in t["hosts"].values() if h.get("failed")]
    (version,) = manifest_versions(admin_lab, bucket)
    assert version["manifest"]["instances"][empty_account["compromised_instance_id"]]["outcome"]["containment"]["status"] == "isolated"
    head = s3.head_object(Bucket=bucket, Key=f"{TICKET}/manifest.json")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == evidence_key["Arn"]


# The security account whose responder role assumes the member-account role (AWS's documentation example id).
SECURITY_ACCOUNT = "111122223333"
MEMBER_ROLE = {"prepare_member_role": True, "responder_account_id": SECURITY_ACCOUNT}


def test_check_mode_lists_the_missing_member_account_role_and_creates_nothing(admin_lab, empty_account):
    code, output = run_playbook(admin_lab, "prepare.yml", "--check", extra_vars=dict(MEMBER_ROLE, event_trigger=False))
    assert code == 0, output["stats"]
    lines = summary(output)
    assert "member-account role aws-ir-member-responder: missing or different" in lines
    # Keys, bucket, responder role and its policy, member-account role and its policy (read through the role).
    assert lines[-1] == "7 of 7 missing or different; nothing was changed (check mode)", lines
    assert mutating(admin_lab.requests()) == []
    assert "aws-ir-member-responder" not in [r["RoleName"] for r in aws(admin_lab, "iam").list_roles()["Roles"]]


def test_a_member_account_role_needs_the_security_account_id_before_any_change(admin_lab, empty_account):
    code, output = run_playbook(admin_lab, "prepare.yml", extra_vars={"prepare_member_role": True, "responder_account_id": "security"})
    assert code != 0
    failed = [h for p in output["plays"] for t in p["tasks"] for h in t["hosts"].values() if h.get("failed")]
    assert len(failed) == 1 and '"security"' in failed[0]["msg"] and "responder_account_id" in failed[0]["msg"]
    assert mutating(admin_lab.requests()) == []


def test_a_new_user_prepares_the_account_and_responds_through_ansible_runner_with_survey_answers(admin_lab, empty_account, tmp_path):
    """The first run of docs/docsite/rst/first_run.rst, as an AWX job runs it: prepare.yml (with the member-account role), then respond.yml on
    the survey's answers, on an account nobody prepared."""
    prepared = run_like_awx(admin_lab, tmp_path, "prepare.yml", MEMBER_ROLE)[0]
    assert prepared.status == "successful", prepared.stdout.read()[-3000:]
    iam = aws(admin_lab, "iam")
    role = iam.get_role(RoleName="aws-ir-member-responder")["Role"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{SECURITY_ACCOUNT}:role/aws-ir-responder"}
    assert statement["Action"] == "sts:AssumeRole" and statement["Effect"] == "Allow"
    policy = iam.get_role_policy(RoleName="aws-ir-member-responder", PolicyName="aws-ir-responder")["PolicyDocument"]
    assert policy == json.loads((REPO / "docs" / "iam" / "responder-policy.json").read_text(encoding="utf-8"))

    admin_lab.clear_requests()
    code, output = run_playbook(admin_lab, "prepare.yml", extra_vars=MEMBER_ROLE)
    assert code == 0 and output["stats"]["localhost"]["changed"] == 0, summary(output)
    assert mutating(admin_lab.requests()) == []

    instance_id = empty_account["compromised_instance_id"]
    responded, events, artifacts = run_like_awx(admin_lab, tmp_path, "respond.yml",
                                                survey_answers(ticket=TICKET, instance_ids=instance_id, aws_region=REGION, capture_volatile="false"))
    assert responded.status == "successful" and events[-1]["event"] == "playbook_on_stats", responded.stdout.read()[-3000:]
    (version,) = manifest_versions(admin_lab, empty_account["bucket"])
    assert version["manifest"]["instances"][instance_id]["outcome"]["containment"]["status"] == "isolated"
    assert artifacts["manifest_version_id"] == version["version_id"] and artifacts["evidence_bucket"] == empty_account["bucket"]


@pytest.fixture
def unprepared_vpcs(admin_lab):
    """The multi-VPC estate (web VPC with SSM and S3 endpoints, data VPC without; web-1 in both), no bucket, no aws-ir group."""
    admin_lab.reset()
    scene = build_multi_vpc_scene(admin_lab.endpoint_url, region=REGION, ticket=TICKET)
    aws(admin_lab, "s3").delete_bucket(Bucket=scene["bucket"])
    admin_lab.clear_requests()
    return scene


def aws_ir_groups(ec2):
    return [g for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"].startswith("aws-ir-")]


def test_an_unknown_quarantine_vpc_stops_the_preparation_before_any_change_naming_the_account_and_region(admin_lab, unprepared_vpcs):
    unknown = "vpc-0123456789abcdef0"
    code, output = run_playbook(admin_lab, "prepare.yml", extra_vars={"quarantine_vpc_ids": [unprepared_vpcs["vpc_id"], unknown]})
    assert code != 0
    task, message = first_failure(output)
    assert "quarantine_vpc_ids" in task
    assert message.startswith(f"vpc_ids: {unknown} not found in account {unprepared_vpcs['account_id']}, Region {REGION} (DescribeVpcs)"), message
    assert mutating(admin_lab.requests()) == []


def test_prepared_quarantine_groups_are_the_ones_respond_uses_and_creates_no_more(admin_lab, unprepared_vpcs):
    web, data = unprepared_vpcs["vpc_id"], unprepared_vpcs["data_vpc_id"]
    ec2 = aws(admin_lab, "ec2")
    # Check mode: every group reported as to be created, nothing made.
    planned = run_module(admin_lab, "ec2_quarantine_groups", {"vpc_ids": [web, data]}, "--check")
    assert planned["changed"] and not planned.get("failed"), planned.get("msg")
    assert {v: g["created"] for v, g in planned["security_groups"].items()} == {v: ["aws-ir-untrack", "aws-ir-quarantine"] for v in (web, data)}
    assert mutating(admin_lab.requests()) == [] and aws_ir_groups(ec2) == []

    code, output = run_playbook(admin_lab, "prepare.yml", extra_vars={"quarantine_vpc_ids": [web, data], "event_trigger": False})
    assert code == 0, first_failure(output)
    assert f"quarantine groups in {web}, {data}: created or corrected" in summary(output)
    groups = {(g["VpcId"], g["GroupName"]): g for g in aws_ir_groups(ec2)}
    assert sorted(groups) == sorted((v, n) for v in (web, data) for n in ("aws-ir-untrack", "aws-ir-quarantine"))
    for (vpc_id, name), found in groups.items():
        role = name.rsplit("-", 1)[1]
        assert {t["Key"]: t["Value"] for t in found["Tags"]} == {"Name": name, "IncidentResponseRole": role}
        if role == "untrack":
            assert rule_destinations(found["IpPermissions"]) == {("-1", None, None): EVERYWHERE}
            assert rule_destinations(found["IpPermissionsEgress"]) == {("-1", None, None): EVERYWHERE}
        else:
            assert found["IpPermissions"] == []
    # Egress tcp/443 only: to the SSM endpoints' group and S3's prefix list in the web VPC, anywhere in the data VPC, which has no endpoint.
    assert rule_destinations(groups[(web, "aws-ir-quarantine")]["IpPermissionsEgress"]) == {
        ("tcp", 443, 443): {("group", unprepared_vpcs["endpoint_sg_id"]), ("prefix_list", unprepared_vpcs["s3_prefix_list_id"])}}
    assert rule_destinations(groups[(data, "aws-ir-quarantine")]["IpPermissionsEgress"]) == {("tcp", 443, 443): {("cidr", "0.0.0.0/0")}}
    made = task_result(output, "Quarantine groups of the VPCs in quarantine_vpc_ids (aws-ir-untrack, aws-ir-quarantine)")
    assert [w for w in made["warnings"] if "HTTPS to the internet stays open" in w][0].startswith(data)

    # A second run changes nothing.
    admin_lab.clear_requests()
    again = run_module(admin_lab, "ec2_quarantine_groups", {"vpc_ids": [web, data]})
    assert again["changed"] is False and again["actions"] == [], again.get("msg")
    assert mutating(admin_lab.requests()) == []

    # The response in both VPCs uses the prepared groups and creates none.
    code, output = run_playbook(admin_lab, "respond.yml", extra_vars={"ticket": TICKET, "capture_volatile": False})
    assert code == 0, first_failure(output)
    actions = [r["action"] for r in mutating(admin_lab.requests())]
    assert "ModifyNetworkInterfaceAttribute" in actions and "CreateSecurityGroup" not in actions
    assert not [a for a in actions if a.startswith(("AuthorizeSecurityGroup", "RevokeSecurityGroup"))]
    instance_id = unprepared_vpcs["compromised_instance_id"]
    assert interface_groups(ec2, instance_id) == {unprepared_vpcs["primary_interface_id"]: [groups[(web, "aws-ir-quarantine")]["GroupId"]],
                                                  unprepared_vpcs["secondary_interface_id"]: [groups[(data, "aws-ir-quarantine")]["GroupId"]]}
