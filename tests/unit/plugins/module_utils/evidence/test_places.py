"""places: where a multi-account case's instances are, and how verify reaches each account's evidence."""

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import custody
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import places

HOME, MEMBER = "123456789012", "444455556666"
ROLE = "arn:aws:iam::{account_id}:role/aws-ir-member-responder"


def action(stage, instance_ids, account_id, region):
    return {"stage": stage, "action": "X", "instance_ids": instance_ids, "account_id": account_id, "region": region}


def test_an_instance_is_where_its_containment_capture_and_snapshots_were_made_not_where_its_finding_is_kept():
    manifest = {"actions": [action("detection", ["i-2"], HOME, "us-east-1"), action("containment", ["i-2"], MEMBER, "us-west-2"),
                            action("snapshot", ["i-1"], HOME, "us-east-1")]}
    assert places.instance_places(manifest) == {"i-2": {"account_id": MEMBER, "region": "us-west-2"},
                                                "i-1": {"account_id": HOME, "region": "us-east-1"}}
    assert places.instance_places({"actions": [{"stage": "containment", "action": "X", "instance_ids": ["i-1"]}]}) == {}


class Module:
    def __init__(self, sts_answers):
        self.params = {"ticket": "INC-1"}
        self.sts_answers = sts_answers
        self.clients = []

    def caller_identity(self):
        return {"Account": HOME}

    def client(self, service, **options):
        self.clients.append((service, options))
        return self.sts_answers(options)


def test_the_case_account_needs_nothing_another_one_its_member_role_assumed_once(fake_client):
    credentials = {"AccessKeyId": "id", "SecretAccessKey": "secret", "SessionToken": "token"}

    def sts(options):
        return fake_client("sts", assume_role={"Credentials": dict(credentials, Expiration="2026-12-03T20:00:00Z")},
                           get_caller_identity={"Account": MEMBER if options else HOME, "Arn": "arn", "UserId": "u"})
    module = Module(sts)
    reach = places.MemberReach(module, ROLE)
    assert reach.options(None) == {} and reach.options(HOME) == {} and module.clients == []
    expected = {"aws_access_key_id": "id", "aws_secret_access_key": "secret", "aws_session_token": "token"}
    assert reach.options(MEMBER) == expected and reach.options(MEMBER) == expected
    assert [client[0] for client in module.clients] == ["sts", "sts"]  # AssumeRole, then GetCallerIdentity with its credentials


def test_without_member_role_or_with_a_refused_role_another_account_is_unreachable_with_the_reason(fake_client, aws_error):
    with pytest.raises(places.Unreachable, match=f"in account {MEMBER}, which these credentials \\(account {HOME}\\) do not reach: give member_role"):
        places.MemberReach(Module(None), "").options(MEMBER)
    refused = Module(lambda options: fake_client("sts", assume_role=aws_error("AccessDenied", "not authorized")))
    role_arn = ROLE.format(account_id=MEMBER)
    with pytest.raises(places.Unreachable, match=f"member_role: {role_arn} of account {MEMBER} cannot be assumed: AccessDenied"):
        places.MemberReach(refused, ROLE).options(MEMBER)


def test_snapshots_of_an_unreachable_account_are_reported_not_checked_never_gone(fake_client):
    home_ec2 = fake_client("ec2", describe_snapshots={"Snapshots": []})

    def client_in(region, account_id):
        if account_id == MEMBER:
            raise places.Unreachable("it is in account 444455556666 ...")
        return home_ec2
    snapshots = [{"snapshot_id": "snap-1", "region": "us-east-1", "volume_id": "vol-1", "tags": {}},
                 {"snapshot_id": "snap-2", "region": "us-west-2", "volume_id": "vol-2", "tags": {}, "account_id": MEMBER}]
    findings = custody.check_snapshots(client_in, snapshots)
    assert [(f["object"], f["problem"]) for f in findings] == [
        ("snap-1", "no longer exists (snapshot of vol-1)"), ("snap-2", "cannot be checked (us-west-2): it is in account 444455556666 ...")]
