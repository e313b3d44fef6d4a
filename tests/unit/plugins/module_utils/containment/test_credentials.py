import json

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import credentials

OK = {"ResponseMetadata": {"RequestId": "r"}}
PROFILE = "arn:aws-us-gov:iam::123456789012:instance-profile/app/web-server-profile"


def test_the_instance_arn_takes_partition_and_account_from_its_profile():
    assert credentials.instance_arn(PROFILE, "us-gov-west-1", "i-1") == "arn:aws-us-gov:ec2:us-gov-west-1:123456789012:instance/i-1"


def test_the_deny_policy_is_scoped_to_the_instance_and_leaves_only_the_agent_and_the_evidence_prefix():
    arn = "arn:aws:ec2:us-east-1:123456789012:instance/i-1"
    document = credentials.deny_policy_document(arn, "evidence", "INC-1", "us-east-1")
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert all(s["Effect"] == "Deny" and s["Condition"]["StringEquals"] == {"ec2:SourceInstanceARN": arn} for s in statements.values())
    allowed = set(statements["DenyAllButSsmAgentAndEvidenceUpload"]["NotAction"])
    assert {"ssm:UpdateInstanceInformation", "ec2messages:GetMessages", "ssmmessages:OpenControlChannel", "s3:PutObject"} <= allowed
    # Nothing that reads secrets or data, nothing of the role's other permissions.
    assert not {"ssm:GetParameter", "ssm:GetParameters", "s3:GetObject", "secretsmanager:GetSecretValue", "sts:AssumeRole"} & allowed
    assert statements["EvidenceUploadOnlyToTheTicketPrefix"]["NotResource"] == ["arn:aws:s3:::evidence", "arn:aws:s3:::evidence/INC-1/*"]
    assert statements["DataKeysOnlyThroughS3"]["Condition"]["StringNotEquals"] == {"kms:ViaService": "s3.us-east-1.amazonaws.com"}


@pytest.mark.parametrize("association, profile, action", [
    ({"association_id": "iip-1", "arn": "arn:old"}, "arn:forensic", "replace_iam_instance_profile_association"),
    (None, "arn:forensic", "associate_iam_instance_profile"),
    ({"association_id": "iip-1", "arn": "arn:forensic"}, None, "disassociate_iam_instance_profile"),
])
def test_the_profile_association_is_replaced_added_or_removed(fake_client, association, profile, action):
    client = fake_client(**{action: OK})
    credentials.set_profile(ActionLog("containment", False), client, "i-1", association, profile)
    assert client.names() == [action]


def test_the_same_profile_is_left_alone(fake_client):
    client = fake_client()
    credentials.set_profile(ActionLog("containment", False), client, "i-1", {"association_id": "iip-1", "arn": "arn:p"}, "arn:p")
    assert client.calls == []


def test_the_deny_policy_is_put_once_and_removed_once(fake_client, aws_error):
    document = credentials.deny_policy_document("arn:aws:ec2:us-east-1:1:instance/i-1", "b", "T-1", "us-east-1")
    client = fake_client(get_role_policy=[aws_error("NoSuchEntity")], put_role_policy=OK)
    log = ActionLog("containment", False)
    assert credentials.put_deny_policy(log, client, "i-1", "web-role", document) is True
    put = [p for n, p in client.calls if n == "put_role_policy"][0]
    assert (put["RoleName"], put["PolicyName"], json.loads(put["PolicyDocument"])) == ("web-role", "aws-ir-deny-i-1", document)
    assert log.records[0]["parameters"]["PolicyDocument"] == document  # recorded readable, not as a JSON string
    client = fake_client(get_role_policy={"PolicyDocument": document}, delete_role_policy=OK)
    assert credentials.put_deny_policy(log, client, "i-1", "web-role", document) is False
    assert credentials.delete_deny_policy(log, client, "i-1", "web-role") is True
    assert client.names() == ["get_role_policy", "get_role_policy", "delete_role_policy"]


def test_a_forensic_profile_must_exist_and_hold_a_role(fake_client, aws_error):
    with pytest.raises(NotFoundError, match="forensic_instance_profile: instance profile 'nope' not found in this account") as raised:
        credentials.forensic_profile(fake_client(get_instance_profile=aws_error("NoSuchEntity")), "nope")
    # The module names the account it looked in; IAM has no Region.
    assert raised.value.located("123456789012", "us-east-1") == \
        "forensic_instance_profile: instance profile 'nope' not found in account 123456789012 (IAM is global)"
    empty = fake_client(get_instance_profile={"InstanceProfile": {"Arn": "arn:empty", "Roles": []}})
    with pytest.raises(credentials.CredentialsError, match="has no role"):
        credentials.forensic_profile(empty, "arn:aws:iam::1:instance-profile/empty")
    assert empty.calls == [("get_instance_profile", {"InstanceProfileName": "empty"})]


@pytest.mark.parametrize("mode", ["none", "deny_policy"])
def test_a_forensic_profile_the_mode_would_not_associate_is_refused(mode):
    expected = f"forensic_instance_profile 'forensic' is only used with credentials=instance_profile \\(credentials is {mode}\\)"
    with pytest.raises(credentials.CredentialsError, match=expected):
        credentials.refuse_unused_profile(mode, "forensic")
    credentials.refuse_unused_profile(mode, None)
    credentials.refuse_unused_profile("instance_profile", "forensic")


def test_a_profile_shared_by_a_fleet_is_read_once_and_a_missing_one_is_named_by_its_first_instance(fake_client, aws_error):
    other = "arn:aws:iam::123456789012:instance-profile/gone"
    answers = {"web-server-profile": {"InstanceProfile": {"Arn": PROFILE, "Roles": [{"RoleName": "web"}]}}}
    client = fake_client(get_instance_profile=lambda p: answers.get(p["InstanceProfileName"]) or aws_error("NoSuchEntity"))
    profiles = credentials.read_profiles(client, {"i-1": PROFILE, "i-2": None, "i-3": PROFILE}, lambda i: f"recorded_state[{i}]")
    assert profiles == {"i-1": {"arn": PROFILE, "role_names": ["web"]}, "i-2": None, "i-3": {"arn": PROFILE, "role_names": ["web"]}}
    assert len(client.calls) == 1
    with pytest.raises(NotFoundError, match=r"^recorded_state\[i-2\]: instance profile .*gone' not found in this account"):
        credentials.read_profiles(client, {"i-1": PROFILE, "i-2": other, "i-3": other}, lambda i: f"recorded_state[{i}]")
