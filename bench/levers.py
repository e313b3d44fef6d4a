"""Issue 19's levers measured on and off in one run: respond.yml of several commits against the seed's CLI sequence.

    .venv/bin/python bench/levers.py --variant off=main --variant lever-1=<commit> ... [--sizes 1] [--repeat 1]
        [--preflight-runs 5] [--output bench/results/issue-19-levers]

Each variant is a git commit of this repository, exported (git archive) into a temporary directory and used
as the collection secops.aws_ir (ANSIBLE_COLLECTIONS_PATH, ahead of the collection scripts/bootstrap links).
Each repetition runs, for each N, the baseline (bench/baseline.sh) once and respond.yml of every variant once,
each on a fresh lab with bench/run.py's measure_once, so that one load on the shared machine touches them alike;
a variant's T_resp is reported as a ratio to the baseline of its own repetition. Per-task seconds come from
ansible.posix's profile_tasks callback; they show what each task costs and what the capture and snapshot tasks
would save if run side by side.

With --preflight-runs K, the preflight task alone (bench/preflight.yml, read-only) also runs K times per variant,
interleaved, on one lab with one compromised instance: its CPU seconds (ansible-playbook and its children) and
the span of its AWS requests in the lab's log (first arrival to last answer), the figures a per-task start-up
lever and side-by-side reads change, measured more finely than a whole run on a loaded machine can.
Nothing here asserts a time.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import measure  # noqa: E402  pylint: disable=wrong-import-position
from bench import run  # noqa: E402  pylint: disable=wrong-import-position
from lab import Lab  # noqa: E402  pylint: disable=wrong-import-position
from lab.scene import build_fleet_scene  # noqa: E402  pylint: disable=wrong-import-position

PROFILE_ENV = {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks", "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "all"}
# The tasks whose seconds the table shows (profile_tasks names them "role : task name").
TASKS = {
    "preflight": "secops.aws_ir.preflight : Check ticket, targets, evidence bucket, credentials and SSM reachability",
    # Two tasks before 4d1825c, one since (the sum of the seconds of the names that ran).
    "lease+journal": ("Take the ticket's lease", "Upload the manifest versions a failed upload left in the journal",
                      "Take the ticket's lease and upload the manifest versions a failed upload left in the journal"),
    "contain": "secops.aws_ir.containment : Protect, take out of service and isolate the instances",
    "capture": "secops.aws_ir.volatile_capture : Collect volatile data (and memory images) through SSM Run Command into the evidence bucket",
    "snapshot": "secops.aws_ir.snapshot : Snapshot every EBS volume of the instances",
    "record": "secops.aws_ir.record : Write the evidence manifest",
}


def export(ref, into):
    """Write the tree of commit ref into <into>/ansible_collections/secops/aws_ir; return (that directory, the full commit id)."""
    commit = subprocess.run(["git", "rev-parse", ref], cwd=REPO, check=True, capture_output=True, text=True).stdout.strip()
    checkout = into / "ansible_collections" / "secops" / "aws_ir"
    checkout.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", commit], cwd=REPO, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(checkout)], input=archive, check=True)
    return checkout, commit


def preflight_runs(variants, runs):
    """{variant: [{"cpu_s", "wall_s", "requests_span_s", "requests"}, ...]}: the preflight alone, runs times per variant, interleaved."""
    found = {name: [] for name in variants}
    with Lab() as lab:
        build_fleet_scene(lab.endpoint_url, 1, region=run.REGION, ticket=run.TICKET)
        for _repetition in range(runs):
            for name, variant in variants.items():
                lab.clear_requests()
                done = measure.run([str(run.BIN / "ansible-playbook"), "bench/preflight.yml", "-e", f"ticket={run.TICKET}"],
                                   run.environment(lab, REPO, variant["collections"]), REPO, lab.pid)
                if done["exit_code"] != 0:
                    raise RuntimeError(f"the preflight of {name} failed:\n{done['output'][-4000:]}")
                requests = lab.requests()
                found[name].append({"cpu_s": round(done["cpu_s"], 3), "wall_s": round(done["wall_s"], 3), "requests": len(requests),
                                    "requests_span_s": round(max(r["t_end"] for r in requests) - min(r["t"] for r in requests), 3),
                                    "load_average_1min": round(os.getloadavg()[0], 2)})
    return found


def _seconds(task_seconds, names):
    """The seconds of the task named names, or the sum of those of a tuple of names (0 for a task that did not run)."""
    return sum(task_seconds.get(name, 0.0) for name in ((names,) if isinstance(names, str) else names))


def ratio_to_baseline(measured, baseline):
    return round(measured["t_resp_s"] / baseline["t_resp_s"], 3)


def summarise(count, variants, runs):
    """Per variant: medians over the repetitions of one N, and the median of the per-repetition ratios to the baseline."""
    mine = [r for r in runs if r["n"] == count]
    timed = [r for r in mine if r["baseline"] is not None]
    summary = {"n": count, "baseline_s": run.spread([r["baseline"]["t_resp_s"] for r in timed]) if timed else None, "variants": {}}
    for name in variants:
        measured = [r["variants"][name] for r in mine]
        summary["variants"][name] = {
            "t_iso_s": run.spread([m["t_iso_s"] for m in measured]),
            "t_resp_s": run.spread([m["t_resp_s"] for m in measured]),
            "cpu_s": run.spread([m["cpu_s"] for m in measured]),
            "ratio": round(statistics.median(ratio_to_baseline(r["variants"][name], r["baseline"]) for r in timed), 3) if timed else None,
            "requests_per_instance": max(m["requests_per_instance"]["total"] for m in measured),
            "peak_tree_rss_mib": max(m["peak_tree_rss_mib"] for m in measured),
            "task_seconds": {short: round(statistics.median(_seconds(m["task_seconds"], task) for m in measured), 2) for short, task in TASKS.items()},
        }
    return summary


def table(results):
    lines = ["| N | variant | commit | T_iso (s) | T_resp (s) | CPU (s) | T_resp / baseline (same run) | requests per instance | peak memory (MiB) | "
             + " | ".join(f"{short} task (s)" for short in TASKS) + " |",
             "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _task in TASKS) + " |"]
    for s in results["summary"]:
        for name, v in s["variants"].items():
            lines.append(f"| {s['n']} | {name} | {results['variants'][name]['commit'][:10]} | {v['t_iso_s']['median']:.2f} | {v['t_resp_s']['median']:.2f} | "
                         f"{v['cpu_s']['median']:.1f} | {'' if v['ratio'] is None else format(v['ratio'], '.3f')} | "
                         f"{v['requests_per_instance']} | {v['peak_tree_rss_mib']} | "
                         + " | ".join(f"{v['task_seconds'][short]:.2f}" for short in TASKS) + " |")
        if s["baseline_s"] is not None:
            lines.append(f"| {s['n']} | baseline (seed CLI) | | | {s['baseline_s']['median']:.2f} | | 1.000 | | | " + " | " * (len(TASKS) - 1) + " |")
    if "preflight_summary" in results:
        lines += ["", f"The preflight task alone (bench/preflight.yml), {len(next(iter(results['preflight'].values())))} runs per variant, "
                  "median (min-max):", "", "| variant | CPU (s) | wall (s) | span of its AWS requests (s) |", "| --- | ---: | ---: | ---: |"]
        for name, p in results["preflight_summary"].items():
            lines.append(f"| {name} | {run.median_range(p['cpu_s'])} | {run.median_range(p['wall_s'])} | {run.median_range(p['requests_span_s'])} |")
    m, load = results["machine"], results["load_average_1min"]
    lines += ["", f"Median of {results['repeat']} run(s) per N and variant. {m['cpus']} CPUs ({m['cpu']}), {m['system']}, Python {m['python']}, "
              f"ansible-core {m['versions']['ansible-core']}, lab on loopback; load average (1 min) at the runs' starts "
              f"{load['median']:.2f} ({load['min']:.2f}-{load['max']:.2f}); other processes kept {results['others_cores']['median']:.2f} cores busy "
              f"(median); {m['date']}."]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", required=True, metavar="NAME=COMMIT", help="a name and a git commit (branch, tag or id)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--baseline-sizes", type=int, nargs="*", help="the sizes whose repetitions also run the baseline (default: every size); "
                        "the CLI sequence takes about 5 s per instance, so a lever compared at N=50 can leave it out and compare variants")
    parser.add_argument("--preflight-runs", type=int, default=0, help="runs of the preflight alone per variant (0: none)")
    parser.add_argument("--output", default=str(REPO / "bench" / "results" / "issue-19-levers"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aws-ir-levers-") as tmp:
        variants, checkouts = {}, {}
        for spec in args.variant:
            name, ref = spec.split("=", 1)
            root = Path(tmp) / name
            checkouts[name], commit = export(ref, root)
            variants[name] = {"ref": ref, "commit": commit, "collections": str(root)}
        results = {"machine": run.machine(), "repeat": args.repeat, "variants": variants, "runs": []}
        for count in args.sizes:
            for repetition in range(args.repeat):
                baseline = run.measure_once("baseline", count) if args.baseline_sizes is None or count in args.baseline_sizes else None
                row = {"n": count, "repetition": repetition, "baseline": baseline, "variants": {}}
                for name, checkout in checkouts.items():
                    measured = row["variants"][name] = run.measure_once("respond", count, checkout, variants[name]["collections"], PROFILE_ENV)
                    print(f"N={count} #{repetition + 1} {name}: T_iso {measured['t_iso_s']:.2f} s, T_resp {measured['t_resp_s']:.2f} s, "
                          f"baseline {baseline['t_resp_s'] if baseline else float('nan'):.2f} s (load {measured['load_average_1min']})", flush=True)
                results["runs"].append(row)
        if args.preflight_runs:
            results["preflight"] = preflight_runs(variants, args.preflight_runs)
    every = [m for r in results["runs"] for m in [r["baseline"], *r["variants"].values()] if m is not None]
    results["load_average_1min"] = run.spread([m["load_average_1min"] for m in every])
    results["others_cores"] = run.spread([m["others_cores"] for m in every])
    results["summary"] = [summarise(count, variants, results["runs"]) for count in args.sizes]
    if args.preflight_runs:
        results["preflight_summary"] = {name: {figure: run.spread([r[figure] for r in found]) for figure in ("cpu_s", "wall_s", "requests_span_s")}
                                        for name, found in results["preflight"].items()}
    Path(args.output + ".json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    Path(args.output + ".md").write_text(table(results), encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    main()
