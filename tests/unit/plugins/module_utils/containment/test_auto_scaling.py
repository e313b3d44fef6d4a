import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import auto_scaling


def group(min_size, desired, max_size=10):
    return {"min_size": min_size, "max_size": max_size, "desired_capacity": desired}


def test_decrement_when_desired_stays_at_or_above_min():
    plans, notes, warnings = auto_scaling.plan_detach({"i-1": {"group_name": "web", "lifecycle_state": "InService"}}, {"web": group(1, 2)})
    assert plans == [{"group_name": "web", "instance_ids": ["i-1"], "decrement": True}]
    assert "desired capacity decremented" in notes["i-1"] and warnings == {}


def test_no_decrement_when_it_would_fall_below_min_and_the_note_says_a_replacement_comes():
    plans, notes, warnings = auto_scaling.plan_detach({"i-1": {"group_name": "web", "lifecycle_state": "InService"}}, {"web": group(1, 1)})
    assert plans == [{"group_name": "web", "instance_ids": ["i-1"], "decrement": False}]
    assert "WITHOUT decrementing" in notes["i-1"] and "replacement" in notes["i-1"]
    assert warnings["i-1"] == notes["i-1"]


def test_several_instances_of_one_group_count_together_against_min():
    memberships = {i: {"group_name": "web", "lifecycle_state": "InService"} for i in ("i-1", "i-2")}
    plans, _notes, _warnings = auto_scaling.plan_detach(memberships, {"web": group(2, 3)})
    assert plans[0]["decrement"] is False


def test_only_inservice_and_standby_are_detached_others_are_reported():
    memberships = {
        "i-1": {"group_name": "web", "lifecycle_state": "Standby"},
        "i-2": {"group_name": "web", "lifecycle_state": "Pending"},
        "i-3": {"group_name": "web", "lifecycle_state": "Detaching"},
    }
    plans, notes, warnings = auto_scaling.plan_detach(memberships, {"web": group(0, 3)})
    assert plans == [{"group_name": "web", "instance_ids": ["i-1"], "decrement": True}]
    assert "lifecycle state Pending cannot be detached" in notes["i-2"]
    assert "already leaving" in notes["i-3"]
    # Left in its group, the instance may still be replaced: a responder must see it.
    assert list(warnings) == ["i-2"]


def test_detach_sends_at_most_20_instances_per_call(fake_client):
    client = fake_client(detach_instances={"ResponseMetadata": {"RequestId": "r"}})
    ids = [f"i-{n}" for n in range(21)]
    auto_scaling.detach(ActionLog("containment", False), client, [{"group_name": "web", "instance_ids": ids, "decrement": True}])
    assert [len(p["InstanceIds"]) for _n, p in client.calls] == [20, 1]
    assert all(p["ShouldDecrementDesiredCapacity"] is True for _n, p in client.calls)


def asg(min_size, desired):
    return {"AutoScalingGroups": [{"AutoScalingGroupName": "web", "MinSize": min_size, "MaxSize": 10, "DesiredCapacity": desired}]}


def test_a_decrement_another_run_made_impossible_becomes_a_detach_without_decrement(fake_client, aws_error):
    # Two tickets' instances in one group: both read desired 2, MinSize 1; the other run's decrement lands first, and
    # AWS refuses this one below MinSize (ValidationError). The instance still leaves the group; a replacement comes.
    client = fake_client(detach_instances=[aws_error("ValidationError"), {"ResponseMetadata": {"RequestId": "r"}}],
                         describe_auto_scaling_groups=asg(1, 1))
    log = ActionLog("containment", False)
    notes = auto_scaling.detach(log, client, [{"group_name": "web", "instance_ids": ["i-1"], "decrement": True}])
    sent = [p["ShouldDecrementDesiredCapacity"] for n, p in client.calls if n == "detach_instances"]
    assert sent == [True, False] and [(r["outcome"], r["error_code"]) for r in log.records] == [("error", "ValidationError"), ("ok", None)]
    assert notes["i-1"].startswith("detached from Auto Scaling group web WITHOUT decrementing: decrementing would take desired capacity from 1 to 0")


@pytest.mark.parametrize("decrement, groups", [(True, asg(1, 3)), (False, asg(1, 1)), (True, {"AutoScalingGroups": []})])
def test_any_other_refused_detach_is_raised(fake_client, aws_error, decrement, groups):
    # Room left for the decrement, no decrement asked, or the group gone: the refusal is not the race, and it stops the run.
    client = fake_client(detach_instances=aws_error("ValidationError"), describe_auto_scaling_groups=groups)
    with pytest.raises(Exception, match="ValidationError"):
        auto_scaling.detach(ActionLog("containment", False), client, [{"group_name": "web", "instance_ids": ["i-1"], "decrement": decrement}])
    assert [n for n, _p in client.calls].count("detach_instances") == 1


def recorded(group_name="web"):
    return {"group_name": group_name, "lifecycle_state": "InService", "min_size": 1, "max_size": 4, "desired_capacity": 2}


def test_attach_puts_back_only_instances_out_of_their_group():
    plans, notes = auto_scaling.plan_attach({"i-1": recorded(), "i-2": recorded(), "i-3": None},
                                            {"i-2": {"group_name": "web", "lifecycle_state": "InService"}}, {"web": group(1, 1, max_size=4)})
    assert plans == {"web": ["i-1"]}
    assert "already in Auto Scaling group web" in notes["i-2"] and "i-3" not in notes


def test_attach_refuses_a_group_gone_or_at_its_max_size_before_any_change():
    with pytest.raises(auto_scaling.AutoScalingError, match="restore_auto_scaling_group: Auto Scaling group gone, recorded for i-1, no longer exists"):
        auto_scaling.plan_attach({"i-1": recorded("gone")}, {}, {})
    with pytest.raises(auto_scaling.AutoScalingError, match="above MaxSize 4"):
        auto_scaling.plan_attach({"i-1": recorded()}, {}, {"web": group(1, 4, max_size=4)})


def test_attach_sends_at_most_20_instances_per_call(fake_client):
    client = fake_client(attach_instances={"ResponseMetadata": {"RequestId": "r"}})
    auto_scaling.attach(ActionLog("release", False), client, {"web": [f"i-{n}" for n in range(21)]})
    assert [len(p["InstanceIds"]) for _n, p in client.calls] == [20, 1]


def test_the_no_decrement_note_says_what_decrementing_would_have_done():
    # DetachInstances with ShouldDecrementDesiredCapacity lowers the desired capacity by the number of
    # instances detached; two of a group at desired 3 would leave 1, below MinSize 2.
    members = {"i-1": {"group_name": "web", "lifecycle_state": "InService"}, "i-2": {"group_name": "web", "lifecycle_state": "InService"}}
    _plans, notes, _warnings = auto_scaling.plan_detach(members, {"web": group(2, 3)})
    assert notes["i-1"] == ("detached from Auto Scaling group web WITHOUT decrementing: decrementing would take desired capacity "
                            "from 3 to 1, below MinSize 2; the group launches a replacement")
