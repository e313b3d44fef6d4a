"""Benchmark: time to containment and to a complete evidence set, against the seed's hand-run CLI sequence.

    make bench        # = .venv/bin/python bench/run.py [--sizes 1 10 50] [--repeat 2] [--output bench/results/latest]

For each N and each repetition, on a fresh lab (its own process) with N compromised instances
(root and data volume each, in one Auto Scaling group behind a classic ELB and an ALB target
group, tagged with the ticket), it runs `ansible-playbook playbooks/respond.yml -e ticket=...`
and measures:

- T_iso: seconds from the start of ansible-playbook until the last network interface of the last
  instance got the group it ends in (the quarantine group, checked), from the end time of that
  successful request in the lab's request log;
- T_resp: wall time of the whole run;
- API requests per instance, by service and action, from the lab's request log;
- CPU time of ansible-playbook and its children (what load on the machine changes least), and
  how busy the machine was with anything else during the run;
- peak memory of the controller (see measure.py);

and checks that the run produced a complete evidence set (the manifest in S3 says every instance
isolated, captured and snapshotted, two snapshots each). Then it runs bench/baseline.sh (the seed's
steps as AWS CLI calls, per instance) on an identical fresh lab, with the same T_iso and T_resp,
and checks that every seed step ran for every instance. Writes <output>.json (every measurement,
the machine, the load average) and <output>.md (the table docs/docsite/rst/benchmark.rst shows). Nothing here asserts
a time: the targets are reported as met or missed.
"""

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import re
import statistics
import sys
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import measure  # noqa: E402  pylint: disable=wrong-import-position
from lab import Lab  # noqa: E402  pylint: disable=wrong-import-position
from lab.scene import build_fleet_scene  # noqa: E402  pylint: disable=wrong-import-position

TICKET = "INC-424242"
REGION = "us-east-1"
BIN = Path(sys.executable).parent
QUARANTINE_GROUP = {"respond": "aws-ir-quarantine", "baseline": f"quarantine-{TICKET}"}
VOLUMES_PER_INSTANCE = 2
# The seed's steps and the request that carries each; the baseline must make each one for every instance.
SEED_STEPS = {
    "quarantine group": "ec2:ModifyInstanceAttribute",
    "detach": "autoscaling:DetachInstances",
    "deregister (classic ELB)": "elb:DeregisterInstancesFromLoadBalancer",
    "deregister (target group)": "elbv2:DeregisterTargets",
    "send-command": "ssm:SendCommand",
    "create-snapshot": "ec2:CreateSnapshot",
    "create-tags": "ec2:CreateTags",
}
# The targets: (figure, N, limit); every figure is "at most".
TARGETS = [("t_iso_s", 1, 4.0), ("t_iso_s", 50, 10.0), ("ratio", 1, 1.0), ("ratio", 50, 0.15),
           ("requests_per_instance", 50, 25), ("peak_tree_rss_mib", 50, 500)]


def environment(lab, checkout=REPO, collections=None):
    """The responder's environment pointed at the lab: endpoint, Region, dummy credentials, the checkout's ansible.cfg.

    collections: a directory whose ansible_collections/secops/aws_ir is the checkout, searched before the
    collection this repository's bootstrap installed (bench/levers.py measures other checkouts with it).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_URL=lab.endpoint_url, AWS_ENDPOINT_URL=lab.endpoint_url, AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION,
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", ANSIBLE_CONFIG=str(checkout / "ansible.cfg"),
               PATH=f"{BIN}:{os.environ['PATH']}")
    if collections:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    return env


def client(lab, service):
    return boto3.client(service, endpoint_url=lab.endpoint_url, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")


def _groups(params, prefix):
    """The group ids of a query-protocol request (SecurityGroupId.1, .2, ... or GroupId.1, ...)."""
    return [params[f"{prefix}.{n}"] for n in range(1, len(params) + 1) if f"{prefix}.{n}" in params]


def group_changes(requests, interfaces_of):
    """(interface id, groups, end time) of every successful request that set an interface's groups, in log order.

    ModifyNetworkInterfaceAttribute names the interface; ModifyInstanceAttribute with GroupId.N
    (the seed's way) sets the groups of the instance's only interface.
    """
    changes = []
    for request in requests:
        if request["status"] != 200:
            continue
        params = request["params"]
        if request["action"] == "ModifyNetworkInterfaceAttribute" and _groups(params, "SecurityGroupId"):
            changes.append((params["NetworkInterfaceId"], _groups(params, "SecurityGroupId"), request["t_end"]))
        elif request["action"] == "ModifyInstanceAttribute" and _groups(params, "GroupId"):
            changes += [(eni, _groups(params, "GroupId"), request["t_end"]) for eni in interfaces_of[params["InstanceId"]]]
    return changes


def isolation_time(lab, requests, instance_ids, start, group_name):
    """Seconds from start until the last interface of instance_ids was put in the group it is in now.

    Raises RuntimeError when an interface is not in the quarantine group (named group_name) at the
    end, or when no logged request put it there.
    """
    ec2 = client(lab, "ec2")
    reservations = ec2.describe_instances(InstanceIds=instance_ids)["Reservations"]
    final = {eni["NetworkInterfaceId"]: sorted(g["GroupId"] for g in eni["Groups"])
             for r in reservations for i in r["Instances"] for eni in i["NetworkInterfaces"]}
    interfaces_of = {i["InstanceId"]: [eni["NetworkInterfaceId"] for eni in i["NetworkInterfaces"]] for r in reservations for i in r["Instances"]}
    names = {g["GroupId"]: g["GroupName"] for g in ec2.describe_security_groups(GroupIds=sorted({g for gs in final.values() for g in gs}))["SecurityGroups"]}
    wrong = {eni: [names[g] for g in groups] for eni, groups in final.items() if [names[g] for g in groups] != [group_name]}
    if wrong:
        raise RuntimeError(f"interfaces not in {group_name} at the end: {wrong}")
    isolated = {}
    for eni, groups, ended in group_changes(requests, interfaces_of):
        if eni in final and sorted(groups) == final[eni]:
            isolated[eni] = ended
    missing = sorted(set(final) - set(isolated))
    if missing:
        raise RuntimeError(f"no logged request put {missing} in {group_name}")
    return max(isolated.values()) - start


def check_evidence(lab, scene):
    """Raise RuntimeError unless the manifest says every instance was isolated, captured and snapshotted (every volume)."""
    body = client(lab, "s3").get_object(Bucket=scene["bucket"], Key=f"{TICKET}/manifest.json")["Body"].read()
    instances = json.loads(body)["instances"]
    wanted = {"containment": "isolated", "volatile_capture": "captured", "snapshot": "snapshotted"}
    for instance_id in scene["compromised_instance_ids"]:
        record = instances.get(instance_id, {})
        statuses = {stage: record.get("outcome", {}).get(stage, {}).get("status") for stage in wanted}
        if statuses != wanted or len(record.get("snapshots", [])) != VOLUMES_PER_INSTANCE:
            raise RuntimeError(f"incomplete evidence for {instance_id}: {statuses}, {len(record.get('snapshots', []))} snapshot(s)")


def check_seed_steps(requests, count):
    """Raise RuntimeError unless the baseline made every seed step for every instance."""
    made = {}
    for request in requests:
        if request["status"] == 200:
            key = f"{request['service']}:{request['action']}"
            made[key] = made.get(key, 0) + 1
    short = {step: made.get(action, 0) for step, action in SEED_STEPS.items() if made.get(action, 0) < count}
    if short:
        raise RuntimeError(f"the baseline missed seed steps (requests made, for {count} instances): {short}")


def per_instance(requests, count):
    """Requests per instance: total and by service:action."""
    by_action = {}
    for request in requests:
        key = f"{request['service']}:{request['action']}"
        by_action[key] = by_action.get(key, 0) + 1
    return {"total": round(len(requests) / count, 2), "by_action": {k: round(v / count, 2) for k, v in sorted(by_action.items())}}


def command(kind, scene):
    if kind == "respond":
        return [str(BIN / "ansible-playbook"), "playbooks/respond.yml", "-e", f"ticket={TICKET}"]
    return [str(REPO / "bench" / "baseline.sh"), TICKET, scene["vpc_id"], scene["asg_name"], scene["clb_name"],
            scene["target_group_arn"], scene["bucket"], *scene["compromised_instance_ids"]]


def task_seconds(output):
    """{task name: seconds} from the recap of ansible.posix's profile_tasks callback in a run's output ({} without it)."""
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(\S.*?) -{3,} (\d+\.\d+)s$", output, re.MULTILINE)}


def measure_once(kind, count, checkout=REPO, collections=None, extra_env=None):
    """One measurement of respond.yml (of checkout, see environment) or of the baseline on a fresh lab with count compromised instances."""
    with Lab() as lab:
        scene = build_fleet_scene(lab.endpoint_url, count, region=REGION, ticket=TICKET)
        load = os.getloadavg()[0]
        done = measure.run(command(kind, scene), dict(environment(lab, checkout, collections), **(extra_env or {})), checkout, lab.pid)
        if done["exit_code"] != 0:
            raise RuntimeError(f"{kind} failed for N={count} (exit {done['exit_code']}):\n{done['output'][-4000:]}")
        requests = lab.requests()
        t_iso = isolation_time(lab, requests, scene["compromised_instance_ids"], done["start"], QUARANTINE_GROUP[kind])
        if kind == "respond":
            check_evidence(lab, scene)
        else:
            check_seed_steps(requests, count)
    return {"t_iso_s": round(t_iso, 3), "t_resp_s": round(done["wall_s"], 3), "cpu_s": round(done["cpu_s"], 3),
            "lab_cpu_s": round(done["server_cpu_s"], 3), "others_cores": round(done["others_cores"], 2), "load_average_1min": round(load, 2),
            "peak_tree_rss_mib": done["peak_tree_rss_mib"], "max_process_rss_mib": done["max_process_rss_mib"],
            "requests_per_instance": per_instance(requests, count), "task_seconds": task_seconds(done["output"])}


def spread(values):
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def summarise(count, runs):
    """Median and range of each figure over the repetitions of one N."""
    respond, baseline = [r["respond"] for r in runs], [r["baseline"] for r in runs]
    return {
        "n": count,
        "t_iso_s": spread([r["t_iso_s"] for r in respond]),
        "t_resp_s": spread([r["t_resp_s"] for r in respond]),
        "baseline_s": spread([r["t_resp_s"] for r in baseline]),
        "baseline_t_iso_s": spread([r["t_iso_s"] for r in baseline]),
        "cpu_s": spread([r["cpu_s"] for r in respond]),
        "baseline_cpu_s": spread([r["cpu_s"] for r in baseline]),
        # The ratio of the medians, and the range of the per-repetition ratios.
        "ratio": dict(spread([r["t_resp_s"] / b["t_resp_s"] for r, b in zip(respond, baseline)]),
                      median=round(statistics.median(r["t_resp_s"] for r in respond) / statistics.median(b["t_resp_s"] for b in baseline), 3)),
        "requests_per_instance": max(r["requests_per_instance"]["total"] for r in respond),
        "baseline_requests_per_instance": max(b["requests_per_instance"]["total"] for b in baseline),
        "peak_tree_rss_mib": max(r["peak_tree_rss_mib"] for r in respond),
        "max_process_rss_mib": max(r["max_process_rss_mib"] for r in respond),
        "load_average_1min": spread([r["load_average_1min"] for r in respond + baseline]),
        "others_cores": spread([r["others_cores"] for r in respond + baseline]),
    }


def versions():
    return {name: importlib.metadata.version(name) for name in ("ansible", "ansible-core", "boto3", "botocore", "moto", "awscli")}


def machine():
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
                  if line.startswith("model name")), platform.processor())
    memory_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines() if line.startswith("MemTotal"))
    return {"cpu": model, "cpus": len(os.sched_getaffinity(0)), "memory_gib": round(memory_kib / 1024 ** 2, 1),
            "system": f"{platform.system()} {platform.release()}", "python": platform.python_version(), "versions": versions(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def target_status(summaries):
    """[(figure, n, limit, measured, met)] for the issue's targets."""
    by_n = {s["n"]: s for s in summaries}
    found = []
    for figure, count, limit in TARGETS:
        if count in by_n:
            value = by_n[count][figure]
            value = value["median"] if isinstance(value, dict) else value
            found.append({"figure": figure, "n": count, "limit": limit, "measured": value, "met": value <= limit})
    return found


def median_range(figure):
    return f"{figure['median']:.2f} ({figure['min']:.2f}-{figure['max']:.2f})"


def table(results):
    """The table of docs/docsite/rst/benchmark.rst: medians with the range over the repetitions."""
    lines = ["| N | T_iso (s) | T_resp (s) | baseline (s) | T_resp / baseline | CPU (s): respond.yml, baseline | requests per instance | "
             "peak memory (MiB) |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in results["summary"]:
        lines.append(f"| {s['n']} | {median_range(s['t_iso_s'])} | {median_range(s['t_resp_s'])} | {median_range(s['baseline_s'])} | "
                     f"{s['ratio']['median']:.3f} ({s['ratio']['min']:.3f}-{s['ratio']['max']:.3f}) | "
                     f"{s['cpu_s']['median']:.1f}, {s['baseline_cpu_s']['median']:.1f} | {s['requests_per_instance']} | {s['peak_tree_rss_mib']} |")
    m = results["machine"]
    others = results["others_cores"]
    lines += ["", f"Median (min-max) of {results['repeat']} runs per N. {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, "
              f"{m['system']}, Python {m['python']}, ansible-core {m['versions']['ansible-core']}, lab on loopback; "
              f"other processes kept {others['median']:.2f} cores busy during a run (median; {others['min']:.2f}-{others['max']:.2f}); "
              f"{m['date']}.", "",
              "| target | limit | measured | met |", "| --- | ---: | ---: | --- |"]
    for t in results["targets"]:
        lines.append(f"| {t['figure']} (N={t['n']}) | {t['limit']} | {t['measured']} | {'yes' if t['met'] else 'no'} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--repeat", type=int, default=2, help="measurements of each N (respond.yml and baseline each)")
    parser.add_argument("--output", default=str(REPO / "bench" / "results" / "latest"))
    args = parser.parse_args()
    results = {"machine": machine(), "repeat": args.repeat, "runs": [], "summary": []}
    for count in args.sizes:
        runs = []
        for repetition in range(args.repeat):
            # Interleaved, so that a change of load on the machine touches both alike.
            row = {"n": count, "repetition": repetition, "respond": measure_once("respond", count), "baseline": measure_once("baseline", count)}
            runs.append(row)
            print(f"N={count} #{repetition + 1}: T_iso {row['respond']['t_iso_s']:.2f} s, T_resp {row['respond']['t_resp_s']:.2f} s, "
                  f"baseline {row['baseline']['t_resp_s']:.2f} s (load {row['respond']['load_average_1min']})", flush=True)
        results["runs"] += runs
        results["summary"].append(summarise(count, runs))
    results["load_average_1min"] = spread([r[k]["load_average_1min"] for r in results["runs"] for k in ("respond", "baseline")])
    results["others_cores"] = spread([r[k]["others_cores"] for r in results["runs"] for k in ("respond", "baseline")])
    results["targets"] = target_status(results["summary"])
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output + ".json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    Path(args.output + ".md").write_text(table(results), encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    main()
