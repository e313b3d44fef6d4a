"""The cost of running modules without pipelining, as ansible-runner's job folder does when no ansible.cfg reaches it.

    .venv/bin/python bench/pipelining.py [--runs 6] [--output bench/results/issue-19-pipelining]

The preflight task alone (bench/preflight.yml, read-only: one module task) runs on one lab with one compromised
instance, alternately with ANSIBLE_PIPELINING true and false (the environment overrides ansible.cfg's
pipelining = True), runs times each: CPU seconds of ansible-playbook and its children, and wall seconds.
Nothing here asserts a time.
"""

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import measure  # noqa: E402  pylint: disable=wrong-import-position
from bench import run  # noqa: E402  pylint: disable=wrong-import-position
from lab import Lab  # noqa: E402  pylint: disable=wrong-import-position
from lab.scene import build_fleet_scene  # noqa: E402  pylint: disable=wrong-import-position


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--output", default=str(REPO / "bench" / "results" / "issue-19-pipelining"))
    args = parser.parse_args()
    found = {"true": [], "false": []}
    with Lab() as lab:
        build_fleet_scene(lab.endpoint_url, 1, region=run.REGION, ticket=run.TICKET)
        for _run in range(args.runs):
            for pipelining, runs in found.items():
                env = dict(run.environment(lab), ANSIBLE_PIPELINING=pipelining)
                load = os.getloadavg()[0]
                done = measure.run([str(run.BIN / "ansible-playbook"), "bench/preflight.yml", "-e", f"ticket={run.TICKET}"], env, REPO, lab.pid)
                if done["exit_code"] != 0:
                    raise RuntimeError(done["output"][-4000:])
                runs.append({"cpu_s": round(done["cpu_s"], 3), "wall_s": round(done["wall_s"], 3), "load_average_1min": round(load, 2)})
    summary = {p: {figure: run.spread([r[figure] for r in runs]) for figure in ("cpu_s", "wall_s", "load_average_1min")} for p, runs in found.items()}
    results = {"machine": run.machine(), "runs": found, "summary": summary}
    lines = ["| ANSIBLE_PIPELINING | CPU (s) | wall (s) | load average (1 min) |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {p} | " + " | ".join(run.median_range(s[figure]) for figure in ("cpu_s", "wall_s", "load_average_1min")) + " |" for p, s in summary.items()]
    lines += ["", f"bench/preflight.yml (one module task), {args.runs} runs each, interleaved, median (min-max); {results['machine']['date']}."]
    Path(args.output + ".json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    Path(args.output + ".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
