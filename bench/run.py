"""Benchmark: time to containment and to a complete evidence set, against the hand-run CLI sequence.

    .venv/bin/python bench/run.py [--sizes 1 10 50] [--output bench/results/latest]

For each N, on a fresh lab with N compromised instances (two volumes each, in one Auto Scaling
group behind a classic ELB and an ALB target group), it runs respond.yml and measures:

- T_iso: from the start of ansible-playbook until the last interface is put in its quarantine
  group, from the lab's request log;
- T_resp: wall time of the whole run;
- API requests per instance, by service and action, from the lab's request log;
- peak memory of the controller: the largest total resident memory of ansible-playbook and all
  its descendants, sampled every 20 ms from /proc;

then runs bench/baseline.sh (the same steps as AWS CLI calls, per instance) on an identical fresh
lab and reports the ratios. Writes <output>.json and <output>.md. Nothing here asserts a time.
"""

import argparse
import collections
import datetime
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lab import Lab  # noqa: E402  pylint: disable=wrong-import-position
from lab.scene import build_fleet_scene  # noqa: E402  pylint: disable=wrong-import-position

TICKET = "INC-424242"
BIN = Path(sys.executable).parent


def environment(lab):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_URL=lab.endpoint_url, AWS_ENDPOINT_URL=lab.endpoint_url, AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               PATH=f"{BIN}:{os.environ['PATH']}")
    return env


def _tree_rss_kib(root_pid):
    """Total VmRSS (KiB) of root_pid and all its descendants, from /proc."""
    children, rss = collections.defaultdict(list), {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        children[int(fields["PPid"])].append(int(entry))
        rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def run_measured(command, env):
    """Run command; (exit code, wall seconds, start epoch, peak tree RSS in MiB, output tail)."""
    start = time.time()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]

    def sample():
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kib(process.pid))
            time.sleep(0.02)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.communicate()[0]
    sampler.join()
    return process.returncode, time.time() - start, start, peak[0] / 1024, output[-4000:]


def isolation_time(requests, start, isolating):
    """Seconds from start to the end of the last request that isolated an interface (None if none did)."""
    last = {}
    for request in requests:
        if isolating(request):
            last[request["params"].get("NetworkInterfaceId") or request["params"].get("InstanceId")] = request
    return max(r["t_end"] for r in last.values()) - start if last else None


def per_instance(requests, count):
    by_action = collections.Counter(f"{r['service']}:{r['action']}" for r in requests)
    return {"total": round(len(requests) / count, 2), "by_action": {k: round(v / count, 2) for k, v in sorted(by_action.items())}}


def measure_collection(count):
    with Lab() as lab:
        build_fleet_scene(lab.endpoint_url, count, ticket=TICKET)
        command = [str(BIN / "ansible-playbook"), "playbooks/respond.yml", "-e", f"ticket={TICKET}"]
        code, wall, start, peak, tail = run_measured(command, environment(lab))
        requests = lab.requests()
    if code != 0:
        raise RuntimeError(f"respond.yml failed for N={count}:\n{tail}")

    def isolating(request):
        # The last group each interface gets is its quarantine group.
        return request["action"] == "ModifyNetworkInterfaceAttribute"
    return {"t_iso": isolation_time(requests, start, isolating), "t_resp": wall, "peak_rss_mib": round(peak, 1),
            "requests_per_instance": per_instance(requests, count)}


def measure_baseline(count):
    with Lab() as lab:
        scene = build_fleet_scene(lab.endpoint_url, count, ticket=TICKET)
        command = [str(REPO / "bench" / "baseline.sh"), TICKET, scene["vpc_id"], scene["asg_name"], scene["clb_name"],
                   scene["target_group_arn"], scene["bucket"], *scene["compromised_instance_ids"]]
        code, wall, start, peak, tail = run_measured(command, environment(lab))
        requests = lab.requests()
    if code != 0:
        raise RuntimeError(f"baseline failed for N={count}:\n{tail}")

    def isolating(request):
        return request["action"] == "ModifyInstanceAttribute" and "GroupId.1" in request.get("params", {})
    return {"t_iso": isolation_time(requests, start, isolating), "t_resp": wall, "peak_rss_mib": round(peak, 1),
            "requests_per_instance": per_instance(requests, count)}


def machine():
    return {"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}", "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def table(results):
    lines = ["| N | T_iso (s) | T_resp (s) | baseline (s) | T_resp / baseline | requests per instance | peak memory (MiB) |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in results["runs"]:
        c, b = row["collection"], row["baseline"]
        lines.append(f"| {row['n']} | {c['t_iso']:.2f} | {c['t_resp']:.2f} | {b['t_resp']:.2f} | {c['t_resp'] / b['t_resp']:.3f} | "
                     f"{c['requests_per_instance']['total']} | {c['peak_rss_mib']} |")
    m = results["machine"]
    lines.append(f"\n{m['cpus']} CPUs, {m['machine']}, Python {m['python']}, {m['system']}, lab on loopback, {m['date']}.")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--output", default=str(REPO / "bench" / "results" / "latest"))
    args = parser.parse_args()
    results = {"machine": machine(), "runs": []}
    for count in args.sizes:
        row = {"n": count, "collection": measure_collection(count), "baseline": measure_baseline(count)}
        row["ratio_t_resp"] = round(row["collection"]["t_resp"] / row["baseline"]["t_resp"], 3)
        results["runs"].append(row)
        print(f"N={count}: T_iso {row['collection']['t_iso']:.2f} s, T_resp {row['collection']['t_resp']:.2f} s, "
              f"baseline {row['baseline']['t_resp']:.2f} s, ratio {row['ratio_t_resp']}", flush=True)
    Path(args.output + ".json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    Path(args.output + ".md").write_text(table(results), encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    main()
