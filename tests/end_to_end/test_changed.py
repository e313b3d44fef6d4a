"""One rule for changed (ActionLog.changed): a call AWS refused changed nothing, so a run whose only call was refused is not changed."""

from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_module


def test_a_containment_whose_only_call_was_refused_reports_no_change(lab, demo):
    # A Xen instance type: AWS refuses connection tracking timeouts (UnsupportedOperation) at every run, since they never get set.
    ec2 = aws(lab, "ec2")
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"][0]
    instance_id = ec2.run_instances(ImageId=image["ImageId"], MinCount=1, MaxCount=1, InstanceType="t2.micro",
                                    SubnetId=demo["subnet_ids"][0])["Instances"][0]["InstanceId"]
    first = run_module(lab, "ec2_quarantine", {"instance_ids": [instance_id], "ticket": TICKET})
    assert not first.get("failed"), first.get("msg", first)
    assert first["changed"] is True

    lab.clear_requests()
    second = run_module(lab, "ec2_quarantine", {"instance_ids": [instance_id], "ticket": TICKET})
    assert not second.get("failed"), second.get("msg", second)
    assert [(r["action"], r["error_code"]) for r in mutating(lab.requests())] == [("ModifyNetworkInterfaceAttribute", "UnsupportedOperation")]
    assert [(a["action"], a["outcome"], a["error_code"]) for a in second["actions"]] == [("ModifyNetworkInterfaceAttribute", "error", "UnsupportedOperation")]
    assert second["changed"] is False
