"""What the demo shows a person: the estate before the response, the evidence manifest and report after it, the verdict of verify.yml.

    python scripts/demo_report.py scene .lab/demo-scene.json
    python scripts/demo_report.py manifest --ticket INC-123456 --scene .lab/demo-scene.json [--local-dir .lab/cases]
    python scripts/demo_report.py verify .lab/demo-verify.json --exit-code 0

Reads S3 with its own boto3 client (endpoint from AWS_URL), never from the playbook's output, and
prints the manifest with the same summary code as respond.yml (terminal_summary), then re-reads
every artifact; the verdict is read from verify.yml's own output (the ansible.posix.json callback).
"""

import argparse
import base64
import hashlib
import json
import os
from pathlib import Path

import boto3

from ansible_collections.secops.aws_ir.plugins.module_utils.record import terminal_summary


def client(service, region):
    return boto3.client(service, endpoint_url=os.environ.get("AWS_URL"), region_name=region)


def describe_scene(scene):
    print(f"  VPC {scene['vpc_id']}, web security group {scene['web_sg_id']} open on 22, 80 and 443")
    print(f"  Auto Scaling group {scene['asg_name']} with {len(scene['instance_ids'])} instances behind "
          f"{scene['clb_name']} (classic ELB) and target group {scene['target_group_arn'].rsplit('/', 2)[1]}")
    print(f"  compromised: {scene['compromised_instance_id']} (tagged IncidentTicket={scene['ticket']}), "
          f"volumes {', '.join(scene['volume_ids'][scene['compromised_instance_id']])}")
    print(f"  evidence bucket s3://{scene['bucket']} (versioning on, Object Lock with a default GOVERNANCE retention of 365 days)")


def _artifacts_read_back(manifest, s3):
    """Each artifact read again from S3 by this script's own client: its bytes must hash to what the manifest says."""
    lines = []
    for instance_id, instance in manifest["instances"].items():
        for artifact in instance["artifacts"]:
            data = s3.get_object(Bucket=artifact["bucket"], Key=artifact["key"], VersionId=artifact["version_id"])["Body"].read()
            verdict = "matches" if hashlib.sha256(data).hexdigest() == artifact["sha256"] else "DOES NOT MATCH"
            lines.append(f"{instance_id} {artifact['kind']}: {artifact['size_bytes']} bytes, sha256 {artifact['sha256'][:16]}... "
                         f"({verdict} the bytes in S3)")
            missing = [s["name"] + " (" + s["tool"] + ")" for s in artifact.get("steps", []) if s["rc"] == 127]
            if artifact.get("steps"):
                lines.append(f"  {len(artifact['steps'])} steps; tools the host lacks: {', '.join(missing) or 'none'}")
    return lines


def describe_reports(s3, bucket, ticket, version_id):
    for name in ("report.html", "report.md"):
        head = s3.head_object(Bucket=bucket, Key=f"{ticket}/{name}")
        source = head["Metadata"].get("manifest-version-id")
        print(f"  case report s3://{bucket}/{ticket}/{name} ({head['ContentLength']} bytes, rendered from manifest version "
              f"{source}{'' if source == version_id else ' - NOT the current one'})")


def describe_manifest(ticket, scene, local_dir):
    """The run's own end-of-run summary (the same code as respond.yml's), then what this script checks independently."""
    s3 = client("s3", scene["region"])
    key = f"{ticket}/manifest.json"
    head = s3.head_object(Bucket=scene["bucket"], Key=key, ChecksumMode="ENABLED")
    manifest = json.loads(s3.get_object(Bucket=scene["bucket"], Key=key)["Body"].read())
    run = manifest["runs"][-1]
    # S3 gives the checksum in base64; the playbook and verify.yml use hex.
    sha256 = base64.b64decode(head["ChecksumSHA256"]).hex() if head.get("ChecksumSHA256") else None
    source = {"s3_uri": f"s3://{scene['bucket']}/{key}", "version_id": head.get("VersionId"), "sha256": sha256}
    local_files = [str(p) for p in sorted((Path(local_dir) / ticket).iterdir())] if local_dir else []
    for line in terminal_summary.render(manifest, source, local_files):
        print(f"  {line}".rstrip())
    print(f"  Object Lock {head.get('ObjectLockMode')} until {head.get('ObjectLockRetainUntilDate')}")
    describe_reports(s3, scene["bucket"], ticket, head.get("VersionId"))
    print(f"  run {run['status']} by {run['actor']['arn']} on {run['controller']['host']}, {run['started_at']} to {run['ended_at']}")
    print(f"  {len(manifest['actions'])} actions recorded, each with its time, API, target and request id")
    for line in _artifacts_read_back(manifest, s3):
        print(f"  {line}")


def describe_verdict(output_path, exit_code):
    """What verify.yml concluded, from its JSON output: the module's verdict (and on failure each discrepancy)."""
    with open(output_path, encoding="utf-8") as handle:
        output = json.load(handle)
    results = [host for play in output["plays"] for task in play["tasks"] for host in task["hosts"].values() if "verdict" in host]
    if not results:
        print(f"  verify.yml stopped before verifying (exit code {exit_code}); see {output_path}")
        return
    print(f"  verify.yml concluded (exit code {exit_code}):")
    for line in results[-1]["verdict"].splitlines():
        print(f"    {line}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    scene_parser = sub.add_parser("scene")
    scene_parser.add_argument("scene")
    manifest_parser = sub.add_parser("manifest")
    manifest_parser.add_argument("--ticket", required=True)
    manifest_parser.add_argument("--scene", required=True)
    manifest_parser.add_argument("--local-dir")
    verify_parser = sub.add_parser("verify")
    verify_parser.add_argument("output")
    verify_parser.add_argument("--exit-code", type=int, required=True)
    args = parser.parse_args()
    if args.what == "verify":
        describe_verdict(args.output, args.exit_code)
        return
    with open(args.scene, encoding="utf-8") as handle:
        scene = json.load(handle)
    if args.what == "scene":
        describe_scene(scene)
    else:
        describe_manifest(args.ticket, scene, args.local_dir)


if __name__ == "__main__":
    main()
