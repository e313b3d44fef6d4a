"""Release: respond.yml then release.yml leaves everything containment changed as it was; ec2_quarantine state=absent refuses what it cannot restore."""

import json
import re

from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_module
from tests.end_to_end.support import run_playbook

MODULE = "ec2_quarantine"
_ATTRIBUTES = (("disableApiTermination", "DisableApiTermination"), ("disableApiStop", "DisableApiStop"),
               ("instanceInitiatedShutdownBehavior", "InstanceInitiatedShutdownBehavior"))


def observed(lab, scene, instance_id):
    """What containment may change, read back through boto3 (never through the module)."""
    ec2, elbv2, iam = aws(lab, "ec2"), aws(lab, "elbv2"), aws(lab, "iam")
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    ips = {p["PrivateIpAddress"] for n in instance["NetworkInterfaces"] for p in n["PrivateIpAddresses"]}
    targets = {}
    for arn in (scene["target_group_arn"], scene.get("ip_target_group_arn")):
        for t in elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"] if arn else []:
            if t["Target"]["Id"] in ips | {instance_id} and t["TargetHealth"]["State"] not in ("draining", "unused"):
                targets.setdefault(arn, []).append((t["Target"]["Id"], t["Target"]["Port"], t["Target"].get("AvailabilityZone")))
    clb = aws(lab, "elb").describe_load_balancers(LoadBalancerNames=[scene["clb_name"]])["LoadBalancerDescriptions"][0]
    interface_ids = [n["NetworkInterfaceId"] for n in instance["NetworkInterfaces"]]
    addresses = ec2.describe_addresses(Filters=[{"Name": "network-interface-id", "Values": interface_ids}])["Addresses"]
    profile = ec2.describe_iam_instance_profile_associations(Filters=[{"Name": "instance-id", "Values": [instance_id]}])["IamInstanceProfileAssociations"]
    members = aws(lab, "autoscaling").describe_auto_scaling_instances(InstanceIds=[instance_id])["AutoScalingInstances"]
    return {
        "groups": {n["NetworkInterfaceId"]: sorted(g["GroupId"] for g in n["Groups"]) for n in instance["NetworkInterfaces"]},
        "attributes": {key: ec2.describe_instance_attribute(InstanceId=instance_id, Attribute=name)[key]["Value"] for name, key in _ATTRIBUTES},
        "delete_on_termination": {m["DeviceName"]: m["Ebs"]["DeleteOnTermination"] for m in instance["BlockDeviceMappings"]},
        "classic": instance_id in [i["InstanceId"] for i in clb["Instances"]],
        "targets": targets,
        "elastic_ips": sorted((a["AllocationId"], a["NetworkInterfaceId"], a["PrivateIpAddress"]) for a in addresses),
        "instance_profile": [a["IamInstanceProfile"]["Arn"] for a in profile],
        "role_policies": iam.list_role_policies(RoleName=scene["role_name"])["PolicyNames"],
        "auto_scaling": [(m["AutoScalingGroupName"], m["LifecycleState"]) for m in members],
    }


def read_manifest(lab, bucket):
    return json.loads(aws(lab, "s3").get_object(Bucket=bucket, Key=f"{TICKET}/manifest.json")["Body"].read())


def test_respond_then_release_leaves_every_interface_registration_and_attribute_as_before(lab, multi_vpc):
    instance_id = multi_vpc["compromised_instance_id"]
    before = observed(lab, multi_vpc, instance_id)
    assert before["targets"][multi_vpc["ip_target_group_arn"]] == [(multi_vpc["primary_private_ip"], 8443, "us-east-1a")]
    opt_ins = {"ticket": TICKET, "disassociate_elastic_ips": True, "credentials_containment": "deny_policy"}
    code, _output = run_playbook(lab, "respond.yml", extra_vars=opt_ins)
    assert code == 0
    contained = observed(lab, multi_vpc, instance_id)
    for key in ("groups", "attributes", "delete_on_termination", "classic", "targets", "elastic_ips", "role_policies", "auto_scaling"):
        assert contained[key] != before[key], key
    assert contained["role_policies"] == ["ssm-agent-and-output", f"aws-ir-deny-{instance_id}"]

    lab.clear_requests()
    code, output = run_playbook(lab, "release.yml", extra_vars={"ticket": TICKET, "restore_auto_scaling_group": True})
    assert code == 0, json.dumps(output["stats"])
    assert observed(lab, multi_vpc, instance_id) == before
    group = aws(lab, "autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[multi_vpc["asg_name"]])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 2  # decremented at detach, incremented at attach
    # Order: addresses and groups first, the protections last, so the instance stays protected until the rest is back.
    calls = [c["action"] for c in mutating(lab.requests()) if c["service"] != "s3"]
    assert calls.index("AssociateAddress") < calls.index("ModifyNetworkInterfaceAttribute") < calls.index("RegisterTargets")
    assert calls.index("AttachInstances") < calls.index("DeleteRolePolicy") < calls.index("ModifyInstanceAttribute")
    assert "RegisterInstancesWithLoadBalancer" not in calls  # AttachInstances puts the instance back behind the group's CLB

    # The manifest records the release and still holds the state before the first containment.
    manifest = read_manifest(lab, multi_vpc["bucket"])
    record = manifest["instances"][instance_id]
    assert record["outcome"]["release"]["status"] == "released" and record["outcome"]["containment"]["status"] == "superseded"
    assert sorted(e["network_interface_id"] for e in record["state_before"]["network_interfaces"]) == sorted(before["groups"])
    assert manifest["runs"][-1]["playbook"] == "release.yml" and manifest["runs"][-1]["status"] == "complete"
    released = {a["action"] for a in manifest["actions"] if a["stage"] == "release"}
    assert released >= {"AssociateAddress", "RegisterTargets", "AttachInstances", "DeleteRolePolicy", "ModifyNetworkInterfaceAttribute"}

    # A second release changes nothing and writes nothing.
    lab.clear_requests()
    code, output = run_playbook(lab, "release.yml", extra_vars={"ticket": TICKET, "restore_auto_scaling_group": True})
    assert code == 0 and output["stats"]["localhost"]["changed"] == 0
    assert mutating(lab.requests()) == []


def test_release_puts_back_the_instance_profile_replaced_by_a_forensic_one_and_skips_a_load_balancer_gone(lab, demo):
    iam, ec2 = aws(lab, "iam"), aws(lab, "ec2")
    iam.create_role(RoleName="forensic-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    forensic = iam.create_instance_profile(InstanceProfileName="forensic-profile")["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="forensic-profile", RoleName="forensic-role")
    instance_id = demo["compromised_instance_id"]

    def profile():
        found = ec2.describe_iam_instance_profile_associations(Filters=[{"Name": "instance-id", "Values": [instance_id]}])
        return [a["IamInstanceProfile"]["Arn"] for a in found["IamInstanceProfileAssociations"]]

    contained = run_module(lab, MODULE, {"instance_ids": [instance_id], "ticket": TICKET, "credentials": "instance_profile",
                                         "forensic_instance_profile": "forensic-profile"})
    assert not contained.get("failed"), contained
    assert profile() == [forensic]
    recorded = {instance_id: contained["instances"][0]["state_before"]}
    assert recorded[instance_id]["load_balancers"] == [demo["clb_name"]]
    aws(lab, "elb").delete_load_balancer(LoadBalancerName=demo["clb_name"])
    args = {"state": "absent", "instance_ids": [instance_id], "ticket": TICKET, "recorded_state": recorded}
    lab.clear_requests()
    planned = run_module(lab, MODULE, args, "--check")
    assert not planned.get("failed") and mutating(lab.requests()) == [] and planned["stage"] == "release"
    assert [c["parameters"]["IamInstanceProfile"]["Arn"] for c in planned["instances"][0]["calls"]
            if c["action"] == "ReplaceIamInstanceProfileAssociation"] == [demo["instance_profile_arn"]]
    released = run_module(lab, MODULE, args)
    assert not released.get("failed"), released
    assert profile() == [demo["instance_profile_arn"]]
    assert released["instances"][0]["outcome"]["status"] == "released"
    assert any(f"{demo['clb_name']}, recorded before containment, no longer exists" in w for w in released["instances"][0]["warnings"])
    targets = aws(lab, "elbv2").describe_target_health(TargetGroupArn=demo["target_group_arn"])["TargetHealthDescriptions"]
    assert [(t["Target"]["Port"], t["TargetHealth"]["State"]) for t in targets if t["Target"]["Id"] == instance_id] == [(80, "healthy")]


def test_release_refuses_a_state_missing_or_of_another_instance_before_any_change(lab, demo):
    first, second = demo["instance_ids"]
    interface = aws(lab, "ec2").describe_instances(InstanceIds=[second])["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0]
    second_eni = interface["NetworkInterfaceId"]
    # The part of a recorded state that tells whose it is.
    state_of_second = {"instance_id": second, "network_interfaces": [
        {"network_interface_id": second_eni, "groups": [g["GroupId"] for g in interface["Groups"]]}]}
    cases = [
        ({second: state_of_second}, f"recorded_state: no state recorded for {first}"),
        ({first: state_of_second}, rf"recorded_state\[{first}\] is the recorded state of {second}, not of {first}"),
        ({first: {k: v for k, v in state_of_second.items() if k != "instance_id"}},
         rf"recorded_state\[{first}\]: network interface {second_eni} is attached to {second}, not to {first}"),
    ]
    for recorded, message in cases:
        lab.clear_requests()
        result = run_module(lab, MODULE, {"state": "absent", "instance_ids": [first], "ticket": TICKET, "recorded_state": recorded})
        assert result.get("failed")
        assert re.search(message, result["msg"]), result["msg"]
        assert mutating(lab.requests()) == [] and result["stage"] == "release"
