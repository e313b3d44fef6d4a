"""recorded_targets: the instances a manifest records in other accounts and Regions, which release.yml must reach."""

from ansible_collections.secops.aws_ir.plugins.filter.recorded_targets import recorded_targets

HOME = ("123456789012", "us-east-1")


def action(instance_ids, account_id=None, region=None):
    where = {"account_id": account_id, "region": region} if account_id else {}
    return dict({"stage": "containment", "action": "ModifyNetworkInterfaceAttribute", "instance_ids": instance_ids}, **where)


def test_instances_of_another_account_or_region_are_named_by_arn_once_in_recorded_order():
    manifest = {"actions": [action(["i-1"], *HOME), action(["i-2"], "444455556666", "us-west-2"), action(["i-3"], HOME[0], "eu-west-1"),
                            action(["i-2"], "444455556666", "us-west-2")]}
    assert recorded_targets(manifest, *HOME) == ["arn:aws:ec2:us-west-2:444455556666:instance/i-2",
                                                 "arn:aws:ec2:eu-west-1:123456789012:instance/i-3"]


def test_a_manifest_of_one_account_and_region_or_none_names_nothing():
    assert recorded_targets({"actions": [action(["i-1"])]}, *HOME) == []
    assert recorded_targets(None, *HOME) == []
