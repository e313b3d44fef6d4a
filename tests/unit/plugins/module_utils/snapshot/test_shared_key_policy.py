"""How the shared copy's key policy is read for the forensic account (IAM policy grammar: IAM User Guide, policy elements)."""
import json

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.shared_key_policy import check_shared_key
from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot.snapshot_copies import CopyError
from tests.unit.conftest import FakeClient

FORENSIC = "111122223333"
ROLE = f"arn:aws:iam::{FORENSIC}:role/aws-ir-forensic"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


class Kms(FakeClient):
    """A KMS client whose key has a policy of these statements; it answers the key's default policy only."""

    def __init__(self, *statements):
        policy = json.dumps({"Version": "2012-10-17", "Statement": statements[0] if len(statements) == 1 else list(statements)})
        super().__init__(get_key_policy=self.policy_of)
        self.policy = policy

    def policy_of(self, params):
        assert params == {"KeyId": KEY, "PolicyName": "default"}
        return {"Policy": self.policy}


def allow(principal, action, **extra):
    return dict({"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}, **extra)


@pytest.mark.parametrize("statements", [
    [allow({"AWS": f"arn:aws:iam::{FORENSIC}:root"}, "kms:*")],
    [allow({"AWS": FORENSIC}, ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey"])],
    [allow({"AWS": [ROLE, "arn:aws:iam::444455556666:root"]}, ["KMS:Create*", "kms:Decrypt"]), allow("*", "kms:Describe*")],
    # A Condition is taken as met (it cannot be evaluated without the request): EBS's kms:ViaService is the usual one.
    [allow({"AWS": FORENSIC}, "kms:*", Condition={"StringEquals": {"kms:ViaService": "ec2.eu-west-1.amazonaws.com"}})],
    [allow({"AWS": FORENSIC}, "kms:*"), {"Effect": "Deny", "Principal": {"AWS": FORENSIC}, "Action": "kms:CreateGrant",
                                         "Resource": "*", "Condition": {"Bool": {"kms:GrantIsForAWSResource": "false"}}}],
])
def test_a_policy_that_lets_the_forensic_account_use_the_key_passes(statements):
    check_shared_key(Kms(*statements), KEY, "alias/share", FORENSIC, ROLE)


@pytest.mark.parametrize("statements, refused", [
    ([allow({"AWS": "arn:aws:iam::123456789012:root"}, "kms:*")], "kms:CreateGrant, kms:Decrypt, kms:DescribeKey"),
    ([allow({"AWS": FORENSIC}, ["kms:Decrypt", "kms:DescribeKey"])], "kms:CreateGrant,"),
    ([allow({"AWS": f"arn:aws:iam::{FORENSIC}:role/someone-else"}, "kms:*")], "kms:CreateGrant, kms:Decrypt, kms:DescribeKey"),
    ([{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "kms:*", "Resource": "*"}],
     "kms:CreateGrant, kms:Decrypt, kms:DescribeKey"),
    ([allow({"AWS": FORENSIC}, "kms:*"), {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}], "kms:Decrypt,"),
])
def test_a_policy_without_the_forensic_account_is_refused_naming_key_account_and_region(statements, refused):
    with pytest.raises(CopyError) as raised:
        check_shared_key(Kms(*statements), KEY, "alias/share", FORENSIC, ROLE)
    assert str(raised.value).startswith(f"copy_to.kms_key_id 'alias/share' (account 123456789012, eu-west-1): its key policy does not "
                                        f"allow account {FORENSIC} {refused}")
