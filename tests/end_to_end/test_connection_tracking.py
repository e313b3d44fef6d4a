"""Connection tracking timeouts: the shortest AWS allows at isolation, recorded with the value before, put back by release.

Values from the EC2 API Reference, ConnectionTrackingSpecificationRequest: TcpEstablishedTimeout
min 60 (default 432000), UdpStreamTimeout min 60 (default 180), UdpTimeout min 30 (default 30).
"""

import json

from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_module
from tests.end_to_end.support import run_playbook

SHORTEST = {"TcpEstablishedTimeout": 60, "UdpStreamTimeout": 60, "UdpTimeout": 30}
DEFAULTS = {"TcpEstablishedTimeout": 432000, "UdpStreamTimeout": 180, "UdpTimeout": 30}


def configurations(lab, instance_id):
    instance = aws(lab, "ec2").describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    ids = [eni["NetworkInterfaceId"] for eni in instance["NetworkInterfaces"]]
    described = aws(lab, "ec2").describe_network_interfaces(NetworkInterfaceIds=ids)["NetworkInterfaces"]
    return {eni["NetworkInterfaceId"]: eni.get("ConnectionTrackingConfiguration") for eni in described}


def test_isolation_sets_the_shortest_timeouts_records_the_values_before_and_release_restores_them(lab, demo):
    instance_id = demo["compromised_instance_id"]
    before = configurations(lab, instance_id)
    assert before and all(v is None for v in before.values())
    code, output = run_playbook(lab, "respond.yml", extra_vars={"ticket": TICKET, "capture_volatile": False})
    assert code == 0, json.dumps(output["stats"])
    assert configurations(lab, instance_id) == {eni: SHORTEST for eni in before}
    manifest = json.loads(aws(lab, "s3").get_object(Bucket=demo["bucket"], Key=f"{TICKET}/manifest.json")["Body"].read())
    assert manifest["instances"][instance_id]["state_before"]["connection_tracking"] == before
    recorded = [a for a in manifest["actions"] if a["action"] == "ModifyNetworkInterfaceAttribute"
                and "ConnectionTrackingSpecification" in a["parameters"]]
    assert sorted(a["target"] for a in recorded) == sorted(before)
    assert all((a["before"], a["after"]) == ({"connection_tracking": None}, {"connection_tracking": SHORTEST}) for a in recorded)
    # The demo's only automatically tracked path is ICMP, said once per run: no per-instance warning (test_tracking.py has one).
    assert [w for w in manifest["instances"][instance_id]["warnings"] if "tracks automatically" in w] == []

    code, output = run_playbook(lab, "release.yml", extra_vars={"ticket": TICKET})
    assert code == 0, json.dumps(output["stats"])
    # Never set before: back to the documented defaults (an interface cannot be made "unset" again).
    assert configurations(lab, instance_id) == {eni: DEFAULTS for eni in before}


def xen_instance(lab, demo):
    """A new t2.micro (Xen, not Nitro: AWS refuses connection tracking timeouts on it) in the demo's subnet; its id."""
    ec2 = aws(lab, "ec2")
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"][0]
    return ec2.run_instances(ImageId=image["ImageId"], MinCount=1, MaxCount=1, InstanceType="t2.micro",
                             SubnetId=demo["subnet_ids"][0])["Instances"][0]["InstanceId"]


def test_an_instance_type_without_configurable_timeouts_is_reported_per_interface(lab, demo):
    instance_id = xen_instance(lab, demo)
    result = run_module(lab, "ec2_quarantine", {"instance_ids": [instance_id], "ticket": TICKET})
    assert not result.get("failed"), result.get("msg")
    [interface] = configurations(lab, instance_id)
    assert configurations(lab, instance_id) == {interface: None}
    assert any(w.startswith(f"{instance_id}: network interface {interface}: connection tracking timeouts are not supported by instance "
                            "type t2.micro (Nitro based instances only)") for w in result["instances"][0]["warnings"])
    refused = [a for a in result["actions"] if "ConnectionTrackingSpecification" in a["parameters"]]
    assert [(a["outcome"], a["error_code"]) for a in refused] == [("error", "UnsupportedOperation")]


def test_a_containment_whose_only_call_was_refused_reports_no_change(lab, demo):
    # One rule for changed (ActionLog.changed): a call AWS refused changed nothing. The timeouts never get set on a Xen
    # instance, so a second containment's only call is the refused one.
    instance_id = xen_instance(lab, demo)
    first = run_module(lab, "ec2_quarantine", {"instance_ids": [instance_id], "ticket": TICKET})
    assert not first.get("failed"), first.get("msg", first)
    assert first["changed"] is True

    lab.clear_requests()
    second = run_module(lab, "ec2_quarantine", {"instance_ids": [instance_id], "ticket": TICKET})
    assert not second.get("failed"), second.get("msg", second)
    assert [(r["action"], r["error_code"]) for r in mutating(lab.requests())] == [("ModifyNetworkInterfaceAttribute", "UnsupportedOperation")]
    assert [(a["action"], a["outcome"], a["error_code"]) for a in second["actions"]] == [("ModifyNetworkInterfaceAttribute", "error", "UnsupportedOperation")]
    assert second["changed"] is False
