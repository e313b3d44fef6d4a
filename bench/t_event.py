"""T_event: seconds from the SendMessage of a finding event to the moment every interface of the instances it names is quarantined.

    .venv/bin/python bench/t_event.py [--sizes 1 10] [--repeat 3]     (scripts/decision-environment first)

For each N and repetition, on a fresh lab (its own process) with N compromised instances (bench/run.py's
fleet), ansible-rulebook (the decision environment .venv-de) runs the shipped rulebook
(containment_preference contain_confirmed) on a fresh queue; once it polls the queue, the event is sent:
for N=1 the sample GuardDuty event, for N>1 a Security Hub "Findings - Imported" event with one HIGH
finding per instance. T_event runs from the end of that SendMessage to the end of the last request that
put an interface in aws-ir-quarantine (lab request log, as bench/run.py's T_iso), and the run counts only
when every interface ends there. ansible-rulebook's own start (the JVM, about 10 s) is not in T_event:
an activation is already running when a finding arrives. Requests per instance: the modules' requests until then.
Nothing asserts a time; the issue's goal is T_event(1) at most 15 s.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.run import REGION, client, environment, isolation_time, per_instance  # noqa: E402  pylint: disable=wrong-import-position
from lab import Lab  # noqa: E402  pylint: disable=wrong-import-position
from lab.scene import build_fleet_scene  # noqa: E402  pylint: disable=wrong-import-position
from tests.end_to_end.findings import sample  # noqa: E402  pylint: disable=wrong-import-position
from tests.end_to_end.responder_calls import made_by_a_module  # noqa: E402  pylint: disable=wrong-import-position

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


def measure_once(count, collections, workdir):
    with Lab() as lab:
        scene = build_fleet_scene(lab.endpoint_url, count, region=REGION, ticket="INC-424242")
        instance_ids = scene["compromised_instance_ids"]
        queue_url = client(lab, "sqs").create_queue(QueueName=QUEUE)["QueueUrl"]
        event = event_for(lab, instance_ids)
        variables = Path(workdir) / f"vars-{count}-{time.time_ns()}.yml"
        variables.write_text(yaml.safe_dump({"finding_queue_name": QUEUE, "aws_region": REGION, "containment_preference": "contain_confirmed",
                                             "drools_db_file_path": str(variables.with_suffix(".db"))}))
        env = dict(environment(lab), ANSIBLE_COLLECTIONS_PATH=collections)
        log = variables.with_suffix(".log").open("w")
        rulebook = subprocess.Popen([str(REPO / ".venv-de" / "bin" / "ansible-rulebook"), "--rulebook",
                                     str(REPO / "extensions" / "eda" / "rulebooks" / "respond_to_findings.yml"),
                                     "-i", str(REPO / "extensions" / "eda" / "inventory" / "hosts.yml"),
                                     "--vars", str(variables), "--persistence-id", "1"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
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
        return {"n": count, "t_event_s": round(t_event, 3), "requests_per_instance": per_instance(responder, count)}


def _quarantined(lab, instance_ids):
    ec2 = client(lab, "ec2")
    reservations = ec2.describe_instances(InstanceIds=instance_ids)["Reservations"]
    groups = {g["GroupName"] for r in reservations for i in r["Instances"] for eni in i["NetworkInterfaces"] for g in eni["Groups"]}
    return groups == {"aws-ir-quarantine"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    collections = subprocess.run([str(REPO / "scripts" / "decision-environment")], capture_output=True, text=True, check=True).stdout.split()[-1]
    with tempfile.TemporaryDirectory(prefix="t-event-") as workdir:
        for count in args.sizes:
            runs = [measure_once(count, collections, workdir) for _repetition in range(args.repeat)]
            for run in runs:
                print(json.dumps(run))
            print(f"N={count}: T_event median {statistics.median(r['t_event_s'] for r in runs):.2f} s "
                  f"(min {min(r['t_event_s'] for r in runs):.2f}, max {max(r['t_event_s'] for r in runs):.2f}) over {len(runs)} runs")


if __name__ == "__main__":
    main()
