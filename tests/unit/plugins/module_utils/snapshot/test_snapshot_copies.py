import datetime

import pytest
from botocore.exceptions import ClientError

from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot import snapshot_copies as copies
from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DESTINATION = {"region": "eu-west-1", "source_region": "us-east-1", "account_id": "111122223333", "kms_key_arn": KEY_ARN}
ORIGINAL = {"snapshot_id": "snap-0aaa", "state": "completed",
            "tags": {"IncidentTicket": "INC-1", "Evidence": "Yes", "SourceVolumeId": "vol-1", "Name": "web-1"}}
T0 = datetime.datetime(2026, 11, 29, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("copy_to, message", [
    ({"kms_key_id": "alias/f"}, "copy_to needs region, account_id or both"),
    ({"region": "Europe", "kms_key_id": "alias/f"}, "copy_to.region: 'Europe' is not an AWS Region name"),
    ({"account_id": "1111", "kms_key_id": "alias/f"}, "copy_to.account_id: '1111' is not a 12-digit AWS account id"),
    ({"account_id": "111122223333"}, "copy_to.kms_key_id is required"),
])
def test_a_bad_destination_is_refused_naming_the_field(copy_to, message):
    with pytest.raises(copies.CopyError, match=message):
        copies.validate_copy_to(copy_to, "us-east-1")


def test_the_destination_region_defaults_to_the_instances_region():
    assert copies.validate_copy_to({"account_id": "111122223333", "kms_key_id": "alias/f"}, "us-east-1") == {
        "region": "us-east-1", "account_id": "111122223333", "kms_key_id": "alias/f"}


def key(**overrides):
    return {"KeyMetadata": dict({"Arn": KEY_ARN, "KeyManager": "CUSTOMER", "KeyState": "Enabled", "KeySpec": "SYMMETRIC_DEFAULT",
                                 "KeyUsage": "ENCRYPT_DECRYPT"}, **overrides)}


def test_a_customer_managed_symmetric_key_is_used_by_its_arn(fake_client):
    kms = fake_client(describe_key=key())
    assert copies.customer_key_arn(kms, "alias/forensics", "eu-west-1") == KEY_ARN
    assert kms.calls == [("describe_key", {"KeyId": "alias/forensics"})]


@pytest.mark.parametrize("answer, message", [
    (key(KeyManager="AWS"), "is an AWS managed key: a snapshot encrypted with it cannot be shared"),
    (key(KeyState="PendingDeletion"), "is PendingDeletion, not Enabled"),
    (key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY"), "is not a symmetric encryption key"),
])
def test_keys_a_shareable_copy_cannot_use_are_refused(fake_client, answer, message):
    with pytest.raises(copies.CopyError, match=f"copy_to.kms_key_id 'alias/aws/ebs' {message}"):
        copies.customer_key_arn(fake_client(describe_key=answer), "alias/aws/ebs", "eu-west-1")


def test_an_unknown_key_is_refused_naming_the_region(fake_client, aws_error):
    with pytest.raises(NotFoundError) as raised:
        copies.customer_key_arn(fake_client(describe_key=aws_error("NotFoundException")), "alias/nope", "eu-west-1")
    # The destination Region, not the module's, with the account the module reads.
    assert raised.value.located("123456789012", "us-east-1") == "copy_to.kms_key_id 'alias/nope' does not exist in account 123456789012, Region eu-west-1"


def test_copies_are_found_by_ticket_and_source_snapshot_under_this_key_only(fake_client):
    def copy(snapshot_id, source, key_arn, minutes):
        return {"SnapshotId": snapshot_id, "State": "completed", "KmsKeyId": key_arn, "StartTime": T0 + datetime.timedelta(minutes=minutes),
                "Tags": [{"Key": "SourceSnapshotId", "Value": source}]}
    client = fake_client(describe_snapshots={"Snapshots": [
        copy("snap-c1", "snap-0aaa", KEY_ARN, 1), copy("snap-c2", "snap-0aaa", KEY_ARN, 2), copy("snap-other-key", "snap-0bbb", "arn:other", 3)]})
    found = copies.find_copies(client, "INC-1", ["snap-0bbb", "snap-0aaa"], KEY_ARN)
    assert {k: v["SnapshotId"] for k, v in found.items()} == {"snap-0aaa": "snap-c2"}
    assert client.calls[0][1]["Filters"] == [{"Name": "tag:IncidentTicket", "Values": ["INC-1"]},
                                             {"Name": "tag:SourceSnapshotId", "Values": ["snap-0aaa", "snap-0bbb"]}]


def test_a_copy_is_encrypted_under_the_key_from_the_source_region_with_the_originals_tags(fake_client):
    client = fake_client(copy_snapshot={"SnapshotId": "snap-0ccc", "ResponseMetadata": {"RequestId": "r1"}})
    log = ActionLog("snapshot", check_mode=False)
    copy, dropped = copies.copy_snapshot(log, client, ORIGINAL, DESTINATION, "aws-ir INC-1 copy", "i-1")
    [(name, params)] = client.calls
    assert name == "copy_snapshot"
    assert (params["SourceSnapshotId"], params["SourceRegion"], params["Encrypted"], params["KmsKeyId"]) == ("snap-0aaa", "us-east-1", True, KEY_ARN)
    assert params["TagSpecifications"] == [{"ResourceType": "snapshot", "Tags": [
        {"Key": "SourceSnapshotId", "Value": "snap-0aaa"}, {"Key": "Evidence", "Value": "Yes"}, {"Key": "IncidentTicket", "Value": "INC-1"},
        {"Key": "Name", "Value": "web-1"}, {"Key": "SourceVolumeId", "Value": "vol-1"}]}]
    assert (copy["snapshot_id"], copy["state"], copy["region"], copy["kms_key_id"], copy["shared_with"]) == ("snap-0ccc", "pending", "eu-west-1", KEY_ARN, [])
    assert copy["tags"] == dict(ORIGINAL["tags"], SourceSnapshotId="snap-0aaa") and dropped == []
    assert log.records[0]["after"] == {"snapshot_id": "snap-0ccc", "region": "eu-west-1"}


def test_in_check_mode_the_copy_is_planned_and_not_made(fake_client):
    client = fake_client()
    copy, _dropped = copies.copy_snapshot(ActionLog("snapshot", check_mode=True), client, ORIGINAL, DESTINATION, "d", "i-1")
    assert (copy["snapshot_id"], copy["state"]) == ("(planned)", "planned")
    assert client.calls == []


def test_too_many_copies_in_progress_is_raised_for_the_caller_to_defer(fake_client, aws_error):
    client = fake_client(copy_snapshot=aws_error("ResourceLimitExceeded"))
    log = ActionLog("snapshot", check_mode=False)
    with pytest.raises(ClientError) as caught:
        copies.copy_snapshot(log, client, ORIGINAL, DESTINATION, "d", "i-1")
    assert caught.value.response["Error"]["Code"] == copies.COPY_LIMIT_CODE
    assert (log.records[0]["outcome"], log.records[0]["error_code"]) == ("error", "ResourceLimitExceeded")


def test_sharing_adds_the_account_once(fake_client):
    client = fake_client(modify_snapshot_attribute={"ResponseMetadata": {"RequestId": "r2"}})
    log = ActionLog("snapshot", check_mode=False)
    copy = {"snapshot_id": "snap-0ccc", "shared_with": []}
    copies.share(log, client, copy, "111122223333", "i-1")
    copies.share(log, client, copy, "111122223333", "i-1")
    assert client.calls == [("modify_snapshot_attribute", {"SnapshotId": "snap-0ccc", "Attribute": "createVolumePermission",
                                                           "OperationType": "add", "UserIds": ["111122223333"]})]
    assert copy["shared_with"] == ["111122223333"]


def test_shared_with_lists_account_ids_only(fake_client):
    permissions = [{"UserId": "222233334444"}, {"Group": "all"}, {"UserId": "111122223333"}]
    client = fake_client(describe_snapshot_attribute={"CreateVolumePermissions": permissions})
    assert copies.shared_with(client, "snap-0ccc") == ["111122223333", "222233334444"]
