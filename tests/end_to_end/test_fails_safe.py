"""respond.yml fails safe: its dry run is dry and lists every call the run makes, a third of all calls throttled
changes nothing in the end, and a fault mid-run fails closed, is recorded and is completed by a re-run.

Every run is compared with one reference: the demo estate planned with --check --diff, then responded to,
unthrottled. Estates and manifests are read back with boto3 and compared under stable names (estate.py).
"""

import json
import re

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.manifest import validate
from tests.end_to_end.conftest import fresh_demo
from tests.end_to_end.estate import Names
from tests.end_to_end.estate import calls_made
from tests.end_to_end.estate import read_estate
from tests.end_to_end.estate import record_of
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import mutating
from tests.end_to_end.support import role_task
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import task_result

# What each protocol answers when it throttles (see lab/README.md): nothing is done, so a retry repeats nothing.
THROTTLING = ("RequestLimitExceeded", "Throttling", "ThrottlingException", "SlowDown")
RECORD_UPLOADS = [["s3", "PutObject"]] * 3  # manifest.json, report.html, report.md
STAGE_TASKS = {"containment": ("containment", "Protect, take out of service and isolate the instances"),
               "snapshot": ("snapshot", "Snapshot every EBS volume of the instances")}
_PLANNED_GROUP = re.compile(r"sg-\(new ([\w-]+) in (vpc-[0-9a-f]+)\)")
_PLANNED_SNAPSHOT = re.compile(r"snap-\(new, of (vol-[0-9a-f]+)\)")


def resolve_planned(lab, value):
    """value with check mode's stand-in ids (sg-(new NAME in VPC), snap-(new, of VOLUME)) replaced by the ids the run gave them."""
    ec2 = aws(lab, "ec2")

    def group(match):
        filters = [{"Name": "group-name", "Values": [match.group(1)]}, {"Name": "vpc-id", "Values": [match.group(2)]}]
        return ec2.describe_security_groups(Filters=filters)["SecurityGroups"][0]["GroupId"]

    def snapshot(match):
        return ec2.describe_snapshots(Filters=[{"Name": "volume-id", "Values": [match.group(1)]}])["Snapshots"][0]["SnapshotId"]

    return json.loads(_PLANNED_SNAPSHOT.sub(snapshot, _PLANNED_GROUP.sub(group, json.dumps(value))))


def actions_of(output):
    """Every action record of every task, in order: the stage modules' and the record's own uploads."""
    return [a for play in output["plays"] for task in play["tasks"] for result in task["hosts"].values() for a in result.get("actions", [])]


def call_list(actions):
    """What identifies a call: stage, service, API, target, the instances it concerns, and the parameters (but those of
    the record's uploads, whose checksums differ between a plan and a record)."""
    return [[a["stage"], a["service"], a["action"], a["target"], a["instance_ids"], None if a["service"] == "s3" else a["parameters"]]
            for a in actions]


def stage_result(output, stage):
    role, name = STAGE_TASKS[stage]
    return role_task(output, role, name)


def failure_message(output):
    """The failed task's error, then the run's last line (where it stopped, what it changed, what next), which does not repeat it."""
    failed = [t["hosts"]["localhost"] for p in output["plays"] for t in p["tasks"] if t["hosts"].get("localhost", {}).get("failed")]
    final = task_result(output, "Fail the run when a stage failed")["msg"]
    assert failed[-1]["msg"] == final and failed[0]["msg"] not in final
    return f"{failed[0]['msg']} | {final}"


@pytest.fixture(scope="module")
def reference(lab, tmp_path_factory):
    """The demo estate planned (--check --diff, the plan also written locally), then responded to, unthrottled."""
    scene = fresh_demo(lab)
    local = tmp_path_factory.mktemp("plan")
    code, plan = run_playbook(lab, "respond.yml", "--check", "--diff", extra_vars={"ticket": TICKET, "evidence_local_dir": str(local)})
    assert code == 0
    checked = {"requests": lab.requests(), "objects": aws(lab, "s3").list_object_versions(Bucket=scene["bucket"]).get("Versions", [])}
    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml")
    assert code == 0
    names = Names(lab)
    manifest = manifest_versions(lab, scene["bucket"])[0]["manifest"]
    return {
        "scene": scene, "plan": plan, "plan_dir": local / TICKET, "checked": checked, "output": output, "manifest": manifest,
        "planned_calls": names.stable(resolve_planned(lab, call_list(actions_of(plan)))), "made_calls": names.stable(call_list(actions_of(output))),
        "planned_diff": {stage: names.stable(resolve_planned(lab, stage_result(plan, stage)["diff"])) for stage in STAGE_TASKS},
        "results": {stage: names.stable(stage_result(output, stage)) for stage in STAGE_TASKS},
        "estate": read_estate(lab, scene["bucket"]), "record": record_of(manifest, names), "calls": calls_made(lab.requests(), names),
    }


def test_check_mode_changes_nothing_and_plans_every_call_the_run_makes_for_each_instance(reference):
    assert mutating(reference["checked"]["requests"]) == [] and reference["checked"]["objects"] == []
    planned = reference["planned_calls"]
    assert {a["outcome"] for a in actions_of(reference["plan"])} == {"planned"}
    # The same calls, in the same order, on the same targets, for the same instances, with the same parameters.
    assert planned == reference["made_calls"]
    assert {"ModifyInstanceAttribute", "DetachInstances", "CreateSecurityGroup", "ModifyNetworkInterfaceAttribute", "SendCommand",
            "CreateSnapshots", "CreateTags", "PutObject"} <= {call[2] for call in planned}

    # --diff: each instance's state before (what the manifest keeps for a release) and after (what containment left).
    contain_diff, done = reference["planned_diff"]["containment"], reference["results"]["containment"]
    assert contain_diff["before"]["instances"] == {k: v["state_before"] for k, v in reference["record"]["instances"].items()}
    assert contain_diff["after"]["instances"] == {i["instance_id"]: i["state_after"] for i in done["instances"]}
    snapshot_diff, snapshots = reference["planned_diff"]["snapshot"], reference["results"]["snapshot"]
    assert {i: set(volumes) for i, volumes in snapshot_diff["after"].items()} == {
        r["instance_id"]: {s["volume_id"] for s in r["snapshots"]} for r in snapshots["instances"]}
    assert all(v == {"snapshot_id": None, "copies": []} for volumes in snapshot_diff["before"].values() for v in volumes.values())

    # The plan is recorded where it was asked for, never in S3, and says it is a plan.
    plan_dir = reference["plan_dir"]
    assert sorted(p.name for p in plan_dir.iterdir()) == ["manifest.planned.json", "report.planned.html", "report.planned.md"]
    plan = json.loads((plan_dir / "manifest.planned.json").read_text(encoding="utf-8"))
    validate(plan)
    assert plan["runs"][-1]["check_mode"] is True and {a["outcome"] for a in plan["actions"]} == {"planned"}
    assert '<p class="banner banner-planned" id="status">' in (plan_dir / "report.planned.html").read_text(encoding="utf-8")


def test_a_third_of_all_calls_throttled_ends_in_the_same_state_and_no_call_is_made_twice(lab, reference):
    scene = fresh_demo(lab)
    # A third of all calls, seeded; and the creates that are not idempotent throttled at their first attempt, whatever the draw.
    once = [{"service": "ec2", "action": "CreateSecurityGroup", "code": "RequestLimitExceeded", "status": 503, "count": 1},
            {"service": "ssm", "action": "SendCommand", "code": "ThrottlingException", "status": 400, "count": 1},
            {"service": "ec2", "action": "CreateSnapshots", "code": "RequestLimitExceeded", "status": 503, "count": 1},
            {"service": "s3", "action": "PutObject", "code": "SlowDown", "status": 503, "count": 1}]
    lab.configure(throttle={"fraction": 0.33, "seed": 9}, faults=once)
    # botocore makes one attempt per call (retry.CLIENT_RETRIES): every throttled call is retried by the collection's retry policy.
    code, output = run_playbook(lab, "respond.yml")
    requests = lab.requests()
    lab.configure(throttle={"fraction": 0.0}, faults=[])
    assert code == 0, failure_message(output)

    throttled = [r for r in requests if r["error_code"] in THROTTLING]
    assert len(throttled) > len(requests) / 5 and {r["error_code"] for r in requests} <= set(THROTTLING) | {None, "NoSuchKey"}
    assert {"CreateSecurityGroup", "SendCommand", "CreateSnapshots", "PutObject"} <= {r["action"] for r in mutating(throttled)}
    names = Names(lab)
    # Every change AWS accepted is the reference run's, once, in the same order...
    assert calls_made(requests, names) == reference["calls"]
    # ...and the estate and the record end as the reference's.
    assert read_estate(lab, scene["bucket"]) == reference["estate"]
    assert record_of(manifest_versions(lab, scene["bucket"])[0]["manifest"], names) == reference["record"]


def test_a_fault_after_isolation_fails_closed_and_records_every_change_and_a_rerun_completes_only_what_is_missing(lab, reference):
    scene = fresh_demo(lab)
    lab.configure(faults=[{"service": "ec2", "action": "CreateSnapshots", "code": "UnauthorizedOperation", "status": 403}])
    code, output = run_playbook(lab, "respond.yml")
    requests = lab.requests()
    lab.configure(faults=[])
    assert code != 0
    assert failure_message(output) == (
        "snapshots stopped; the actions list says which were created: An error occurred "
        "(UnauthorizedOperation) when calling the CreateSnapshots operation: Injected fault UnauthorizedOperation | "
        'respond.yml stopped at snapshot (task "Snapshot every EBS volume of the instances"; its error is printed above). '
        f"Every change made before it is recorded in s3://{scene['bucket']}/{TICKET}/manifest.json (summary above). "
        "Next step: fix the cause and run respond.yml again with the same ticket; it continues where this run stopped.")

    # Fail closed: everything containment did stays done; only the snapshots are missing.
    names = Names(lab)
    estate = read_estate(lab, scene["bucket"])
    expected = reference["estate"]
    assert {k: estate[k] for k in ("instances", "security_groups", "auto_scaling", "classic_load_balancers", "targets", "commands")} == {
        k: expected[k] for k in ("instances", "security_groups", "auto_scaling", "classic_load_balancers", "targets", "commands")}
    assert estate["snapshots"] == []

    # The manifest records every change made before the fault, and the refused call, as the reference run made them.
    manifest = manifest_versions(lab, scene["bucket"])[0]["manifest"]
    record = record_of(manifest, names)
    before_fault = [a for a in reference["record"]["actions"] if a["stage"] in ("containment", "volatile_capture")]
    assert record["actions"][:-1] == before_fault
    assert [(a["action"], a["outcome"], a["error_code"]) for a in record["actions"][-1:]] == [("CreateSnapshots", "error", "UnauthorizedOperation")]
    made = [[r["service"], r["action"]] for r in mutating(requests) if r["error_code"] is None]
    assert made == [[a["service"], a["action"]] for a in before_fault] + RECORD_UPLOADS
    assert (manifest["runs"][-1]["status"], manifest["runs"][-1]["failed_stage"]) == ("failed", "Snapshot every EBS volume of the instances")

    # A re-run makes only the snapshots (and records them): no second command, group or isolation.
    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml")
    assert code == 0
    names = Names(lab)
    snapshot_calls = [a for a in reference["record"]["actions"] if a["stage"] == "snapshot"]
    assert [c[:2] for c in calls_made(lab.requests(), names)] == [[a["service"], a["action"]] for a in snapshot_calls] + RECORD_UPLOADS
    estate = read_estate(lab, scene["bucket"])
    assert {k: v for k, v in estate.items() if k != "objects"} == {k: v for k, v in expected.items() if k != "objects"}
    record = record_of(manifest_versions(lab, scene["bucket"])[0]["manifest"], names)
    assert record["actions"] == before_fault + record["actions"][len(before_fault):len(before_fault) + 1] + snapshot_calls
    assert [r["status"] for r in record["runs"]] == ["failed", "complete"]


def test_a_fault_between_the_two_steps_of_isolation_never_leaves_the_interface_open_to_all_traffic(lab, reference):
    scene = fresh_demo(lab)
    # The untrack step (all traffic allowed) succeeds, the quarantine step is refused.
    lab.configure(faults=[{"service": "ec2", "action": "ModifyNetworkInterfaceAttribute", "code": "UnauthorizedOperation", "status": 403,
                           "after": 1, "count": 1}])
    code, output = run_playbook(lab, "respond.yml")
    lab.configure(faults=[])
    assert code != 0
    names = Names(lab)
    instance = names.stable(scene["compromised_instance_id"])
    estate = read_estate(lab, scene["bucket"])
    # Back in its own group, as before the response: not in aws-ir-untrack, which would let every flow in.
    assert list(estate["instances"][instance]["interfaces"].values()) == [["sg(web-sg in 10.20.0.0/16)"]]
    eni = list(estate["instances"][instance]["interfaces"])[0]
    message = names.stable(failure_message(output))
    assert f"{eni} is back in its groups before (sg(web-sg in 10.20.0.0/16)), NOT isolated" in message
    assert "UnauthorizedOperation" in message and "Every change made before it is recorded in" in message
    swaps = [(a["outcome"], a["after"]) for a in record_of(manifest_versions(lab, scene["bucket"])[0]["manifest"], names)["actions"]
             if a["action"] == "ModifyNetworkInterfaceAttribute" and "groups" in a["after"]]
    assert swaps == [("ok", {"groups": ["sg(aws-ir-untrack in 10.20.0.0/16)"]}), ("error", {"groups": ["sg(aws-ir-quarantine in 10.20.0.0/16)"]}),
                     ("ok", {"groups": ["sg(web-sg in 10.20.0.0/16)"]})]

    # A re-run isolates it in two steps again and completes the response.
    code, _output = run_playbook(lab, "respond.yml")
    assert code == 0
    estate = read_estate(lab, scene["bucket"])
    assert {k: v for k, v in estate.items() if k != "objects"} == {k: v for k, v in reference["estate"].items() if k != "objects"}


def test_release_and_verify_in_check_mode_change_nothing_and_the_release_plan_is_what_the_release_does(lab):
    scene = fresh_demo(lab)
    assert run_playbook(lab, "respond.yml")[0] == 0
    versions = manifest_versions(lab, scene["bucket"])
    lab.clear_requests()
    code, output = run_playbook(lab, "verify.yml", "--check")
    assert code == 0 and task_result(output, "secops.aws_ir.verify : Give the verdict")["msg"].startswith(f"evidence of {TICKET} is intact")
    code, plan = run_playbook(lab, "release.yml", "--check", "--diff")
    assert code == 0
    assert mutating(lab.requests()) == [] and manifest_versions(lab, scene["bucket"]) == versions
    release_plan = role_task(plan, "release", "Restore the instances to the state recorded before containment")
    instance_id = scene["compromised_instance_id"]
    # --diff: from contained back to the state recorded before containment (Auto Scaling only when asked).
    recorded = versions[0]["manifest"]["instances"][instance_id]["state_before"]
    # Connection tracking never set before containment: back to the documented defaults (EC2 API Reference).
    defaults = {"TcpEstablishedTimeout": 432000, "UdpStreamTimeout": 180, "UdpTimeout": 30}
    assert release_plan["diff"]["after"]["instances"][instance_id] == dict(
        recorded, auto_scaling=None, connection_tracking={eni: defaults for eni in recorded["connection_tracking"]})
    code, output = run_playbook(lab, "release.yml")
    assert code == 0
    planned, made = call_list(actions_of(plan)), call_list(actions_of(output))
    assert planned == made and {call[2] for call in made} >= {"ModifyNetworkInterfaceAttribute", "ModifyInstanceAttribute", "PutObject"}
