"""A manifest of a contained fleet as the modules record it (outcome shapes of ec2_quarantine, ssm_volatile_capture and
forensic_snapshot), for the terminal summary and the case report."""

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import manifest as model

T = "2026-11-29T20:00:{:02d}.{:03d}Z"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/1"
NAMES = {"sg-0aaaaaaaaaaaaaaa1": "web-sg", "sg-0bbbbbbbbbbbbbbb2": "aws-ir-untrack", "sg-0ccccccccccccccc3": "aws-ir-quarantine"}
WEB, UNTRACK, QUARANTINE = NAMES
COMMAND = "11111111-2222-3333-4444-555555555555"
EGRESS_WARNING = ("vpc-0123456789abcdef0: quarantine egress is tcp/443 to 0.0.0.0/0 so the SSM Agent keeps working (no available interface "
                  "endpoint for ssm, ssmmessages, ec2messages; no available S3 gateway endpoint): HTTPS to the internet stays open")


def instance_id(n):
    return f"i-{n:017x}"


def _call(n, action, target, ids, stage="containment", outcome="ok", after=None, error_code=None):
    return {"time": T.format(n // 1000, n % 1000), "stage": stage, "service": "ec2", "action": action, "target": target,
            "instance_ids": list(ids), "parameters": {}, "before": None, "after": after, "outcome": outcome, "error_code": error_code,
            "request_id": f"req-{n}"}


def _state(i, contained):
    eni = f"eni-{i:017x}"
    return {
        "attributes": {"DisableApiTermination": contained, "DisableApiStop": contained, "InstanceInitiatedShutdownBehavior": "stop"},
        "delete_on_termination": {"/dev/xvda": not contained, "/dev/sdf": not contained},
        "network_interfaces": [{"network_interface_id": eni, "vpc_id": "vpc-0123456789abcdef0", "subnet_id": "subnet-1",
                                "device_index": 0, "groups": [QUARANTINE if contained else WEB]}],
        "auto_scaling": None if contained else {"group_name": "web-asg", "lifecycle_state": "InService", "min_size": 1, "max_size": 60,
                                                "desired_capacity": 50},
        "load_balancers": [] if contained else ["web-clb"],
        "target_groups": [] if contained else [{"target_group_arn": TG, "id": instance_id(i), "port": 80, "target_type": "instance"}],
        "elastic_ips": [], "iam_instance_profile": None,
    }


def contained_manifest(count=1, failed_snapshot=False):
    """count instances contained, captured and snapshotted (or, with failed_snapshot, the snapshot stage refused)."""
    ids = [instance_id(n + 1) for n in range(count)]
    actions, entries = [], []
    for n, i in enumerate(ids):
        eni = f"eni-{n + 1:017x}"
        actions += [_call(10 + n, "ModifyInstanceAttribute", i, [i], after={"DisableApiTermination": True}),
                    _call(200 + n, "ModifyNetworkInterfaceAttribute", eni, [i], after={"groups": [UNTRACK]}),
                    _call(400 + n, "ModifyNetworkInterfaceAttribute", eni, [i], after={"groups": [QUARANTINE]})]
        entries.append({"instance_id": i, "state_before": _state(n + 1, False), "warnings": [EGRESS_WARNING], "outcome": {
            "status": "isolated", "containment_complete": False, "notes": ["detached from Auto Scaling group web-asg"],
            "tracked_paths": ["ICMP (always tracked)"],
            "egress": {"vpc-0123456789abcdef0": {"mode": "https_anywhere", "destinations": "0.0.0.0/0", "reason": "no endpoint"}},
            "draining": [{"target_group_arn": TG, "id": i, "port": 80}], "group_names": NAMES, "state_after": _state(n + 1, True)}})
    stages = [{"stage": "containment", "actions": actions, "instances": entries}]
    stages.append({"stage": "volatile_capture", "actions": [_call(1500, "SendCommand", "AWS-RunShellScript", ids, stage="volatile_capture")],
                   "instances": [{"instance_id": i, "outcome": {"status": "captured", "command_id": COMMAND, "detail": None}, "artifacts": [
                       {"kind": "triage_stdout", "bucket": "evidence", "key": f"INC-1/{i}", "s3_uri": f"s3://evidence/INC-1/{i}",
                        "version_id": "v1", "size_bytes": 100, "sha256": "ab" * 32, "command_id": COMMAND}]} for i in ids]})
    if failed_snapshot:
        stages.append({"stage": "snapshot", "actions": [_call(3000, "CreateSnapshots", ids[0], [ids[0]], stage="snapshot", outcome="error",
                                                              error_code="UnauthorizedOperation")], "instances": []})
    else:
        # CreateSnapshots records the snapshot made of each volume, as forensic_snapshot does.
        made = [{f"vol-{n + 1:017x}": f"snap-{n + 1:017x}", f"vol-{n + 0x100:017x}": f"snap-{n + 0x100:017x}"} for n in range(count)]
        stages.append({"stage": "snapshot", "actions": [_call(3000 + n, "CreateSnapshots", i, [i], stage="snapshot", after={"snapshots": made[n]})
                                                        for n, i in enumerate(ids)],
                       "instances": [{"instance_id": i, "outcome": {"status": "snapshotted", "detail": "2 EBS snapshot(s)"}, "warnings": [
                           f"volume vol-{n + 1:017x} (/dev/xvda) is not encrypted: its snapshot is unencrypted"], "snapshots": [
                           {"snapshot_id": f"snap-{n + 1:017x}", "volume_id": f"vol-{n + 1:017x}", "device_name": "/dev/xvda", "state": "completed"},
                           {"snapshot_id": f"snap-{n + 0x100:017x}", "volume_id": f"vol-{n + 0x100:017x}", "device_name": "/dev/sdf",
                            "state": "completed"}]} for n, i in enumerate(ids)]})
    manifest = model.merge(model.new_manifest({"raw": "INC-1", "normalized": "INC-1"}, "us-east-1", "evidence", T.format(0, 0)), stages)
    manifest["runs"].append({
        "run_id": "r1", "playbook": "respond.yml", "started_at": T.format(0, 0), "ended_at": T.format(4, 0),
        "status": "failed" if failed_snapshot else "complete", "check_mode": False,
        "failed_stage": "Snapshot every EBS volume of the instances" if failed_snapshot else None,
        "failure": "snapshots stopped: UnauthorizedOperation" if failed_snapshot else None,
        "actor": {"arn": "arn:aws:sts::123456789012:assumed-role/IR/alice", "account": "123456789012"}, "controller": {"host": "awx-1"}})
    model.validate(manifest)
    return manifest


def released(manifest):
    """The manifest after release.yml undid the isolation of every instance (run r2)."""
    entries = [{"instance_id": i, "outcome": {"status": "released", "notes": [], "not_restored": [], "state_after": inst["state_before"],
                                              "group_names": NAMES}} for i, inst in manifest["instances"].items()]
    manifest = model.merge(manifest, [{"stage": "release", "actions": [], "instances": entries}])
    manifest["runs"].append(dict(manifest["runs"][-1], playbook="release.yml", run_id="r2", started_at=T.format(5, 0), ended_at=T.format(6, 0)))
    return manifest


def contained_again(manifest, check_mode):
    """respond.yml run again after a release (run r3): containment makes (or, in check mode, plans) its calls; the
    ticket's capture and snapshots exist, so those stages make no call and keep their outcome (planned in check mode)."""
    outcome = "planned" if check_mode else "ok"
    actions, entries, kept = [], [], []
    for n, (i, inst) in enumerate(manifest["instances"].items()):
        eni = inst["state_before"]["network_interfaces"][0]["network_interface_id"]
        actions.append(_call(11000 + n, "ModifyNetworkInterfaceAttribute", eni, [i], outcome=outcome, after={"groups": [QUARANTINE]}))
        # The release superseded the first containment outcome: this one is recorded afresh, its state_after the (planned) isolation.
        entries.append({"instance_id": i, "outcome": {"status": "planned" if check_mode else "isolated", "containment_complete": False,
                                                      "notes": [], "group_names": NAMES, "state_after": _state(n + 1, True)}})
        kept.append(i)
    stages = [{"stage": "containment", "actions": actions, "instances": entries}]
    if check_mode:
        stages += [{"stage": stage, "actions": [], "instances": [{"instance_id": i, "outcome": {"status": "planned", "detail": None}} for i in kept]}
                   for stage in ("volatile_capture", "snapshot")]
    manifest = model.merge(manifest, stages)
    manifest["runs"].append(dict(manifest["runs"][-1], playbook="respond.yml", run_id="r3", check_mode=check_mode,
                                 started_at=T.format(10, 0), ended_at=T.format(12, 0)))
    model.validate(manifest)
    return manifest
