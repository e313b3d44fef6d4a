"""What the demo shows a person: the estate before the response, and the evidence manifest after it.

    python scripts/demo_report.py scene .lab/demo-scene.json
    python scripts/demo_report.py manifest --ticket INC-123456 --scene .lab/demo-scene.json

Reads S3 with its own boto3 client (endpoint from AWS_URL), never from the playbook's output.
"""

import argparse
import hashlib
import json
import os

import boto3


def client(service, region):
    return boto3.client(service, endpoint_url=os.environ.get("AWS_URL"), region_name=region)


def describe_scene(scene):
    print(f"  VPC {scene['vpc_id']}, web security group {scene['web_sg_id']} open on 22, 80 and 443")
    print(f"  Auto Scaling group {scene['asg_name']} with {len(scene['instance_ids'])} instances behind "
          f"{scene['clb_name']} (classic ELB) and target group {scene['target_group_arn'].rsplit('/', 2)[1]}")
    print(f"  compromised: {scene['compromised_instance_id']} (tagged IncidentTicket={scene['ticket']}), "
          f"volumes {', '.join(scene['volume_ids'][scene['compromised_instance_id']])}")
    print(f"  evidence bucket s3://{scene['bucket']} (versioning and Object Lock on)")


def _containment(instance):
    before = instance.get("state_before") or {}
    outcome = instance["outcome"].get("containment", {})
    lines = [f"containment: {outcome.get('status', 'not reached')}"]
    lines += [f"  {note}" for note in outcome.get("notes", [])]
    for eni in before.get("network_interfaces", []):
        lines.append(f"  {eni['network_interface_id']}: groups before {', '.join(eni['groups'])} (restored by a release)")
    return lines


def _capture(instance, s3):
    outcome = instance["outcome"].get("volatile_capture", {})
    lines = [f"volatile capture: {outcome.get('status', 'not reached')} (command {outcome.get('command_id')})"]
    for artifact in instance["artifacts"]:
        data = s3.get_object(Bucket=artifact["bucket"], Key=artifact["key"], VersionId=artifact["version_id"])["Body"].read()
        verdict = "matches" if hashlib.sha256(data).hexdigest() == artifact["sha256"] else "DOES NOT MATCH"
        lines.append(f"  {artifact['s3_uri']}: {artifact['size_bytes']} bytes, sha256 {artifact['sha256'][:16]}... ({verdict} the bytes in S3)")
        missing = [s["name"] + " (" + s["tool"] + ")" for s in artifact.get("steps", []) if s["rc"] == 127]
        if artifact.get("steps"):
            lines.append(f"    {len(artifact['steps'])} steps; tools the host lacks: {', '.join(missing) or 'none'}")
    return lines


def _snapshots(instance):
    lines = [f"snapshots: {len(instance['snapshots'])}"]
    lines += [f"  {s['snapshot_id']}: {s['device_name']} {s['volume_id']} {s['state']}" for s in instance["snapshots"]]
    return lines


def describe_manifest(ticket, scene):
    s3 = client("s3", scene["region"])
    key = f"{ticket}/manifest.json"
    head = s3.head_object(Bucket=scene["bucket"], Key=key, ChecksumMode="ENABLED")
    manifest = json.loads(s3.get_object(Bucket=scene["bucket"], Key=key)["Body"].read())
    run = manifest["runs"][-1]
    print(f"  s3://{scene['bucket']}/{key} version {head.get('VersionId')}")
    print(f"  SHA-256 checksum {head.get('ChecksumSHA256')}, Object Lock {head.get('ObjectLockMode')} until {head.get('ObjectLockRetainUntilDate')}")
    print(f"  run {run['status']} by {run['actor']['arn']} on {run['controller']['host']}, {run['started_at']} to {run['ended_at']}")
    print(f"  {len(manifest['actions'])} actions recorded, each with its time, API, target and request id")
    for instance_id, instance in manifest["instances"].items():
        print(f"  {instance_id}:")
        for line in _containment(instance) + _capture(instance, s3) + _snapshots(instance):
            print(f"    {line}")
        for warning in instance["warnings"]:
            print(f"    warning: {warning}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    scene_parser = sub.add_parser("scene")
    scene_parser.add_argument("scene")
    manifest_parser = sub.add_parser("manifest")
    manifest_parser.add_argument("--ticket", required=True)
    manifest_parser.add_argument("--scene", required=True)
    args = parser.parse_args()
    with open(args.scene, encoding="utf-8") as handle:
        scene = json.load(handle)
    if args.what == "scene":
        describe_scene(scene)
    else:
        describe_manifest(args.ticket, scene)


if __name__ == "__main__":
    main()
