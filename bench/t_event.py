"""T_event: seconds from the SendMessage of a finding event to the moment every interface of the instances it names is quarantined.

    .venv/bin/python bench/t_event.py [--sizes 1 10] [--repeat 3] [--variant NAME=COMMIT ...] [--ansible-config checkout|none]
        [--output bench/results/t-event]     (scripts/decision-environment first)

For each N and repetition, on a fresh lab (its own process) with N compromised instances (bench/run.py's
fleet), ansible-rulebook (the decision environment .venv-de) runs the shipped rulebook
(containment_preference contain_confirmed) on a fresh queue; once it polls the queue, the event is sent:
for N=1 the sample GuardDuty event, for N>1 a Security Hub "Findings - Imported" event with one HIGH
finding per instance. T_event runs from the end of that SendMessage to the end of the last request that
put an interface in aws-ir-quarantine (lab request log, as bench/run.py's T_iso), and the run counts only
when every interface ends there. ansible-rulebook's own start (the JVM, about 10 s) is not in T_event:
an activation is already running when a finding arrives. Requests per instance: the modules' requests until then.
Where the seconds go (phases_s, each from the SendMessage): "runner" when ansible-rulebook logged that it
calls ansible-runner (the rule matched and the job's directory is ready; its -vv log), "first_module_request"
the first AWS request of a module (ansible-playbook started, the play's first tasks ran), "first_change" the
modules' first mutating request.
With --variant, the rulebook, its inventory and the collection come from each commit (exported as bench/levers.py
does), measured interleaved on fresh labs so that one load on the shared machine touches them alike. With
--ansible-config none, ANSIBLE_CONFIG is not set, as when ansible-rulebook is started as the rulebook's header says:
ansible-runner then starts ansible-playbook in a job folder of its own, where the collection's ansible.cfg is not read.
Nothing asserts a time; the issue's goal is T_event(1) at most 15 s.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.levers import export  # noqa: E402  pylint: disable=wrong-import-position
from bench.run import REGION, client, environment, isolation_time, machine, per_instance, spread  # noqa: E402  pylint: disable=wrong-import-position
from lab import Lab  # noqa: E402  pylint: disable=wrong-import-position
from lab.scene import TICKET_TAG, build_fleet_scene  # noqa: E402  pylint: disable=wrong-import-position
from tests.end_to_end.findings import sample  # noqa: E402  pylint: disable=wrong-import-position
from tests.end_to_end.responder_calls import made_by_a_module  # noqa: E402  pylint: disable=wrong-import-position
from tests.end_to_end.support import mutating  # noqa: E402  pylint: disable=wrong-import-position

QUEUE = "aws-ir-findings-bench"
DEADLINE_S = 600


def wait_until(check, what):
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"gave up waiting for {what}")


def event_for(lab, instance_ids):
    if len(instance_ids) == 1:
        return sample("guardduty-event.json", instance_ids)
    securityhub = client(lab, "securityhub")
    securityhub.enable_security_hub()
    template = sample("securityhub-imported-event.json")
    first = template["detail"]["findings"][0]
    findings = [json.loads(json.dumps(first).replace("i-0123456789abcdef0", i).replace("6ac6b1fd2b3e8e1c5a7d4f0e9b2c3a41", f"{n:032x}"))
                for n, i in enumerate(instance_ids)]
    securityhub.batch_import_findings(Findings=findings)
    return dict(template, detail={"findings": findings})


def measure_once(count, checkout, collections, workdir, ansible_config=True):
    with Lab() as lab:
        scene = build_fleet_scene(lab.endpoint_url, count, region=REGION, ticket="INC-424242")
        instance_ids = scene["compromised_instance_ids"]
        # A finding names instances nobody has tagged yet: the response tags them with the ticket it derives from the finding
        # (GD-/SH-...); the fleet's tag of another ticket would be refused (an instance belongs to one case).
        client(lab, "ec2").delete_tags(Resources=instance_ids, Tags=[{"Key": TICKET_TAG}])
        queue_url = client(lab, "sqs").create_queue(QueueName=QUEUE)["QueueUrl"]
        event = event_for(lab, instance_ids)
        variables = Path(workdir) / f"vars-{count}-{time.time_ns()}.yml"
        variables.write_text(yaml.safe_dump({"finding_queue_name": QUEUE, "aws_region": REGION, "containment_preference": "contain_confirmed",
                                             "drools_db_file_path": str(variables.with_suffix(".db"))}))
        env = dict(environment(lab, checkout), ANSIBLE_COLLECTIONS_PATH=collections)
        if not ansible_config:
            del env["ANSIBLE_CONFIG"]
        load = os.getloadavg()[0]
        log = variables.with_suffix(".log").open("w")
        rulebook = subprocess.Popen([str(REPO / ".venv-de" / "bin" / "ansible-rulebook"), "--rulebook",
                                     str(checkout / "extensions" / "eda" / "rulebooks" / "respond_to_findings.yml"),
                                     "-i", str(checkout / "extensions" / "eda" / "inventory" / "hosts.yml"),
                                     "--vars", str(variables), "--persistence-id", "1", "-vv"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: any(r["action"] == "ReceiveMessage" for r in lab.requests()), "ansible-rulebook to poll the queue")
            lab.clear_requests()
            client(lab, "sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
            sent = next(r["t_end"] for r in lab.requests() if r["action"] == "SendMessage")
            wait_until(lambda: _quarantined(lab, instance_ids), "every interface in aws-ir-quarantine")
            requests = lab.requests()
            t_event = isolation_time(lab, requests, instance_ids, sent, "aws-ir-quarantine")
        finally:
            rulebook.terminate()
            rulebook.wait(timeout=60)
            log.close()
        # The modules' requests until the last interface was quarantined (not the source's SQS polls, not this script's reads).
        responder = [r for r in requests if made_by_a_module(r) and r["t"] <= sent + t_event]
        phases = {"runner": _logged(variables.with_suffix(".log"), "Calling Ansible runner"), "first_module_request": min(r["t"] for r in responder),
                  "first_change": min(r["t"] for r in mutating(responder))}
        return {"n": count, "t_event_s": round(t_event, 3), "requests_per_instance": per_instance(responder, count), "load_average_1min": round(load, 2),
                "phases_s": {name: round(moment - sent, 3) for name, moment in phases.items() if moment is not None}}


def _logged(log, words):
    """The epoch second of the first line of ansible-rulebook's log holding words (its asctime, the controller's local time), or None."""
    for line in log.read_text().splitlines():
        if words in line:
            stamp = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
            return stamp.timestamp()
    return None


def _quarantined(lab, instance_ids):
    ec2 = client(lab, "ec2")
    reservations = ec2.describe_instances(InstanceIds=instance_ids)["Reservations"]
    groups = {g["GroupName"] for r in reservations for i in r["Instances"] for eni in i["NetworkInterfaces"] for g in eni["Groups"]}
    return groups == {"aws-ir-quarantine"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--variant", action="append", metavar="NAME=COMMIT", help="a name and a git commit; omitted, this checkout as it is")
    parser.add_argument("--ansible-config", choices=["checkout", "none"], default="checkout",
                        help="checkout: ANSIBLE_CONFIG names the checkout's ansible.cfg; none: not set (ansible-rulebook started as documented)")
    parser.add_argument("--output", help="write <output>.json and <output>.md")
    args = parser.parse_args()
    amazon_aws = subprocess.run([str(REPO / "scripts" / "decision-environment")], capture_output=True, text=True, check=True).stdout.split()[-1]
    with tempfile.TemporaryDirectory(prefix="t-event-") as workdir:
        variants = {"checkout": {"checkout": REPO, "collections": amazon_aws, "commit": None}}
        if args.variant:
            variants = {}
            for spec in args.variant:
                name, ref = spec.split("=", 1)
                root = Path(workdir) / name
                checkout, commit = export(ref, root)
                variants[name] = {"checkout": checkout, "collections": f"{root}{os.pathsep}{amazon_aws}", "commit": commit}
        runs = []
        for count in args.sizes:
            for _repetition in range(args.repeat):
                for name, variant in variants.items():
                    measured = measure_once(count, variant["checkout"], variant["collections"], workdir, args.ansible_config == "checkout")
                    measured["variant"] = name
                    print(json.dumps(measured), flush=True)
                    runs.append(measured)
    results = {"machine": machine(), "ansible_config": args.ansible_config, "repeat": args.repeat,
               "variants": {name: v["commit"] for name, v in variants.items()}, "runs": runs, "summary": summarise(runs)}
    if args.output:
        Path(args.output + ".json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        Path(args.output + ".md").write_text(table(results), encoding="utf-8")
    print(table(results))


def summarise(runs):
    """Per N and variant: T_event, each phase and the load average (median, min, max), and the most requests per instance."""
    summary = []
    for count in sorted({r["n"] for r in runs}):
        for name in dict.fromkeys(r["variant"] for r in runs):
            mine = [r for r in runs if r["n"] == count and r["variant"] == name]
            summary.append({"n": count, "variant": name, "t_event_s": spread([r["t_event_s"] for r in mine]),
                            "phases_s": {phase: spread([r["phases_s"][phase] for r in mine if phase in r["phases_s"]]) for phase in mine[0]["phases_s"]},
                            "load_average_1min": spread([r["load_average_1min"] for r in mine]),
                            "requests_per_instance": max(r["requests_per_instance"]["total"] for r in mine)})
    return summary


def table(results):
    def cell(figure):
        return f"{figure['median']:.2f} ({figure['min']:.2f}-{figure['max']:.2f})"
    lines = ["| N | variant | commit | T_event (s) | runner called (s) | first module request (s) | first change (s) | requests per instance | "
             "load average (1 min) |",
             "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in results["summary"]:
        phases = s["phases_s"]
        lines.append(f"| {s['n']} | {s['variant']} | {(results['variants'][s['variant']] or 'working tree')[:10]} | {cell(s['t_event_s'])} | "
                     + " | ".join(cell(phases[p]) if p in phases else "" for p in ("runner", "first_module_request", "first_change"))
                     + f" | {s['requests_per_instance']} | {cell(s['load_average_1min'])} |")
    m = results["machine"]
    lines += ["", f"Median (min-max) of {results['repeat']} run(s) per N and variant, interleaved; phases in seconds from the SendMessage. "
              f"ANSIBLE_CONFIG: {'the checkout' + chr(39) + 's ansible.cfg' if results['ansible_config'] == 'checkout' else 'not set'}. "
              f"{m['cpus']} CPUs ({m['cpu']}), Python {m['python']}, ansible-core {m['versions']['ansible-core']}, lab on loopback; {m['date']}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
