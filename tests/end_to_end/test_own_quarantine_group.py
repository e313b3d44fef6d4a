"""A quarantine group the collection made and could not complete is repaired by the next run; one it did not make is refused.

Issue 13, case 7: RevokeSecurityGroupEgress refused once right after CreateSecurityGroup leaves
aws-ir-quarantine with AWS's default allow-all egress.
"""

import json

from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_module
from tests.end_to_end.support import run_playbook
from tests.end_to_end.test_containment import interface_groups
from tests.end_to_end.test_containment import our_group
from tests.end_to_end.test_containment import rule_destinations

HTTPS_ANYWHERE = {("tcp", 443, 443): {("cidr", "0.0.0.0/0")}}


def test_our_quarantine_group_left_with_allow_all_egress_is_repaired_by_the_next_run(lab, demo):
    ec2, instance_id = aws(lab, "ec2"), demo["compromised_instance_id"]
    original = interface_groups(ec2, instance_id)
    lab.configure(faults=[{"service": "ec2", "action": "RevokeSecurityGroupEgress", "code": "UnauthorizedOperation", "status": 403, "count": 1}])
    code, _output = run_playbook(lab, "respond.yml")
    lab.configure(faults=[])
    assert code != 0
    group = our_group(ec2, demo["vpc_id"], "aws-ir-quarantine")
    assert rule_destinations(group["IpPermissionsEgress"]) == {("-1", None, None): {("cidr", "0.0.0.0/0")}}
    # Fails closed: no interface was touched, so none is in aws-ir-untrack.
    assert interface_groups(ec2, instance_id) == original
    assert "ModifyNetworkInterfaceAttribute" not in [c["action"] for c in mutating(lab.requests())]

    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml")
    assert code == 0, json.dumps(output["stats"])
    group = our_group(ec2, demo["vpc_id"], "aws-ir-quarantine")
    assert rule_destinations(group["IpPermissionsEgress"]) == HTTPS_ANYWHERE
    assert list(interface_groups(ec2, instance_id).values()) == [[group["GroupId"]]]
    repairs = [(c["action"], c["params"].get("IpPermissions.1.IpProtocol")) for c in mutating(lab.requests()) if c["params"].get("GroupId") == group["GroupId"]]
    assert repairs == [("RevokeSecurityGroupEgress", "-1"), ("AuthorizeSecurityGroupEgress", "tcp")]
    record = manifest_versions(lab, demo["bucket"])[0]["manifest"]
    assert any(f"aws-ir-quarantine {group['GroupId']}, made by an earlier run that stopped before completing it" in w and "repaired" in w
               for w in record["instances"][instance_id]["warnings"])
    assert [a["outcome"] for a in record["actions"] if a["action"] == "RevokeSecurityGroupEgress"] == ["error", "ok"]


def test_a_quarantine_group_named_like_ours_but_not_made_by_us_is_still_refused_before_any_change(lab, demo):
    ec2 = aws(lab, "ec2")
    # Made by someone else: AWS's default allow-all egress, and no IncidentResponseRole tag.
    group_id = ec2.create_security_group(GroupName="aws-ir-quarantine", Description="not ours", VpcId=demo["vpc_id"])["GroupId"]
    lab.clear_requests()
    result = run_module(lab, "ec2_quarantine", {"instance_ids": [demo["compromised_instance_id"]], "ticket": TICKET})
    assert result.get("failed")
    assert f"security group {group_id} (aws-ir-quarantine in {demo['vpc_id']}) allows egress" in result["msg"]
    assert "a quarantine group allows only tcp/443" in result["msg"]
    assert mutating(lab.requests()) == [] and result["actions"] == []
