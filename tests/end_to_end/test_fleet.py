"""A fleet handled concurrently: every change made once, recorded once, in a fixed order, also when AWS throttles."""

from collections import Counter

from lab.scene import build_fleet_scene
from tests.end_to_end.support import REGION
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_module

FLEET = 6
# The per-instance calls made side by side; the first few of each are throttled.
THROTTLED = ("DescribeInstanceAttribute", "ModifyInstanceAttribute", "ModifyNetworkInterfaceAttribute", "CreateSnapshots", "CreateTags")
THROTTLES_PER_ACTION = 4


def test_a_throttled_fleet_is_contained_and_snapshotted_with_one_record_per_change_in_a_fixed_order(lab):
    lab.reset()
    scene = build_fleet_scene(lab.endpoint_url, FLEET, region=REGION, ticket=TICKET)
    ids = scene["compromised_instance_ids"]
    lab.configure(faults=[{"service": "ec2", "action": action, "code": "RequestLimitExceeded", "status": 503, "count": THROTTLES_PER_ACTION}
                          for action in THROTTLED])
    try:
        contained = run_module(lab, "ec2_quarantine", {"instance_ids": ids, "ticket": TICKET})
        snapshotted = run_module(lab, "forensic_snapshot", {"instance_ids": ids, "ticket": TICKET})
    finally:
        lab.configure(faults=[])
    assert not contained.get("failed") and not snapshotted.get("failed"), (contained.get("msg"), snapshotted.get("msg"))
    requests = lab.requests()
    assert Counter(r["action"] for r in requests if r["error_code"] == "RequestLimitExceeded") == {a: THROTTLES_PER_ACTION for a in THROTTLED}

    # Every change AWS made is recorded once, and nothing else is recorded as made.
    made = Counter(r["action"] for r in mutating(requests) if r["status"] == 200)
    actions = contained["actions"] + snapshotted["actions"]
    assert Counter(a["action"] for a in actions if a["outcome"] == "ok") == made
    assert all(a["outcome"] == "ok" for a in actions)

    # Per step, the instances in the order given, each with its own calls in order.
    protections = [a for a in contained["actions"] if a["action"] == "ModifyInstanceAttribute"]
    assert [a["target"] for a in protections] == [i for i in ids for _attribute in range(3)]
    changed = [next(k for k in a["parameters"] if k != "InstanceId") for a in protections[:3]]
    assert changed == ["DisableApiTermination", "DisableApiStop", "BlockDeviceMappings"]
    groups = contained["security_groups"][scene["vpc_id"]]
    swaps = [(a["instance_ids"], a["after"]["groups"]) for a in contained["actions"]
             if a["action"] == "ModifyNetworkInterfaceAttribute" and "groups" in a["after"]]
    assert swaps == [([i], [groups["untrack_group_id"]]) for i in ids] + [([i], groups["quarantine_group_ids"]) for i in ids]
    assert [a["target"] for a in snapshotted["actions"] if a["action"] == "CreateSnapshots"] == ids

    # What AWS holds: every interface in the quarantine group, two snapshots per instance and no more.
    ec2 = aws(lab, "ec2")
    reservations = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    assert {i["InstanceId"]: [g["GroupId"] for n in i["NetworkInterfaces"] for g in n["Groups"]] for r in reservations for i in r["Instances"]} == {
        i: groups["quarantine_group_ids"] for i in ids}
    snapshots = ec2.describe_snapshots(Filters=[{"Name": "tag:IncidentTicket", "Values": [TICKET]}])["Snapshots"]
    sources = Counter(next(t["Value"] for t in s["Tags"] if t["Key"] == "SourceInstanceId") for s in snapshots)
    assert sources == {i: 2 for i in ids}
