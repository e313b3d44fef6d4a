"""Targets of a response in several accounts and Regions: naming, grouping, the member role of an account, known Regions."""

import boto3
import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils import targets
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import TargetError

HOME = {"account_id": "123456789012", "region": "us-east-1"}
TEMPLATE = "arn:aws:iam::{account_id}:role/aws-ir-member-responder"


def test_an_instance_id_is_in_the_runs_own_account_and_region():
    assert targets.parse_instance("i-0123456789abcdef0", HOME) == dict(HOME, instance_id="i-0123456789abcdef0")


def test_an_instance_arn_names_its_account_and_region():
    # The ASFF Resources[].Id form (Security Hub User Guide, AwsEc2Instance); also in other partitions.
    assert targets.parse_instance("arn:aws:ec2:eu-west-1:444455556666:instance/i-0fedcba9876543210", HOME) == {
        "instance_id": "i-0fedcba9876543210", "account_id": "444455556666", "region": "eu-west-1"}
    assert targets.parse_instance("arn:aws-us-gov:ec2:us-gov-west-1:444455556666:instance/i-0fedcba9876543210", HOME)["region"] == "us-gov-west-1"


@pytest.mark.parametrize("value", ["arn:aws:ec2:eu-west-1:444455556666:volume/vol-0fedcba9876543210",
                                   "arn:aws:ec2:eu-west-1:4444:instance/i-0fedcba9876543210"])
def test_another_arn_is_refused_naming_it(value):
    with pytest.raises(TargetError, match="is not an EC2 instance ARN") as raised:
        targets.parse_instance(value, HOME)
    assert value in str(raised.value)


def test_instances_are_grouped_by_account_and_region_in_the_order_first_named():
    instances = [dict(HOME, instance_id="i-1"), {"instance_id": "i-2", "account_id": "444455556666", "region": "us-west-2"},
                 dict(HOME, instance_id="i-3"), {"instance_id": "i-4", "account_id": "444455556666", "region": "eu-west-1"}]
    assert targets.group(instances) == [dict(HOME, instance_ids=["i-1", "i-3"]),
                                        {"account_id": "444455556666", "region": "us-west-2", "instance_ids": ["i-2"]},
                                        {"account_id": "444455556666", "region": "eu-west-1", "instance_ids": ["i-4"]}]


def test_the_member_role_of_an_account_comes_from_the_template():
    assert targets.member_role_arn(TEMPLATE, "444455556666") == "arn:aws:iam::444455556666:role/aws-ir-member-responder"


@pytest.mark.parametrize("template, words", [
    ("arn:aws:iam::111122223333:role/aws-ir-member-responder", "has no {account_id}"),
    ("aws-ir-member-responder-{account_id}", "which is not an IAM role ARN of that account"),
])
def test_a_template_that_gives_no_role_of_the_account_is_refused(template, words):
    with pytest.raises(TargetError, match="member_role") as raised:
        targets.member_role_arn(template, "444455556666")
    assert words in str(raised.value) and template in str(raised.value)


def test_a_region_botocore_does_not_know_cannot_be_reached():
    known = targets.known_regions(boto3.session.Session())
    assert {"us-east-1", "eu-west-1", "us-gov-west-1"} <= known
    target = {"account_id": "444455556666", "region": "xx-nowhere-1", "instance_ids": ["i-2"]}
    with pytest.raises(TargetError, match=r"^Region xx-nowhere-1 cannot be reached: .*\(instances i-2 of account 444455556666\)$"):
        targets.refuse_unknown_region(known, target)
    targets.refuse_unknown_region(known, dict(target, region="eu-west-1"))
