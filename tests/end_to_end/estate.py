"""The lab's estate and a manifest, read back through an independent boto3 client, in a form that two runs can be compared in.

Two fresh estates never share an id, so every id is replaced by what it names: an instance by its Name tag, a
volume by its instance and device, an interface by its instance and device index, a group by its name and VPC,
a snapshot by the volume it was taken of. Command ids (UUIDs) and times are masked.
"""

import json
import re

from tests.end_to_end.support import aws
from tests.end_to_end.support import mutating

_ID = re.compile(r"\b(?:i|vol|snap|sg|eni|subnet|vpc|ami|lt|rtb|igw|acl|vpce|eipalloc|pl)-[0-9a-f]{8,17}\b")
_ARN_SUFFIX = re.compile(r"((?:targetgroup|loadbalancer/app|loadbalancer/net)/[\w-]+)/[0-9a-f]{16}")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_INDEX = re.compile(r"\.\d+(?=\.|$)")
_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")


def _tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags") or []}


class Names:
    """Stable names for the ids of one estate (lab), read when created."""

    def __init__(self, lab):
        ec2 = aws(lab, "ec2")
        self.names = {}
        vpcs = {v["VpcId"]: v["CidrBlock"] for v in ec2.describe_vpcs()["Vpcs"]}
        self.names.update({vpc_id: f"vpc({cidr})" for vpc_id, cidr in vpcs.items()})
        self.names.update({s["SubnetId"]: f"subnet({s['CidrBlock']})" for s in ec2.describe_subnets()["Subnets"]})
        self.names.update({g["GroupId"]: f"sg({g['GroupName']} in {vpcs.get(g.get('VpcId'))})" for g in ec2.describe_security_groups()["SecurityGroups"]})
        for reservation in ec2.describe_instances()["Reservations"]:
            for instance in reservation["Instances"]:
                name = _tags(instance).get("Name", instance["InstanceId"])
                self.names[instance["InstanceId"]] = f"i({name})"
                for mapping in instance.get("BlockDeviceMappings", []):
                    self.names[mapping["Ebs"]["VolumeId"]] = f"vol({name} {mapping['DeviceName']})"
                for eni in instance.get("NetworkInterfaces", []):
                    self.names[eni["NetworkInterfaceId"]] = f"eni({name} #{eni['Attachment']['DeviceIndex']})"
        for snapshot in _snapshots(ec2):
            self.names[snapshot["SnapshotId"]] = f"snap(of {self.names[snapshot['VolumeId']]})"

    def stable(self, value, unordered=False):
        """value (JSON-able) with every id replaced by its name, other ids by their kind, command ids and times masked.

        unordered: sort every list, for values whose lists are sets (their order followed the ids).
        """
        text = json.dumps(value, sort_keys=True, default=str)
        text = _ID.sub(lambda m: self.names.get(m.group(0), m.group(0).split("-")[0] + "-?"), text)
        text = _ARN_SUFFIX.sub(r"\1/?", text)
        text = _TIME.sub("<time>", _UUID.sub("<uuid>", text))
        return _sorted(json.loads(text)) if unordered else json.loads(text)


def _sorted(value):
    if isinstance(value, dict):
        return {k: _sorted(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_sorted(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def _snapshots(ec2):
    """Every snapshot of a volume of an instance (moto's AMIs come with a thousand others)."""
    volume_ids = [m["Ebs"]["VolumeId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"] for m in i.get("BlockDeviceMappings", [])]
    return ec2.describe_snapshots(Filters=[{"Name": "volume-id", "Values": volume_ids}])["Snapshots"]


def _instances(ec2):
    found = {}
    for reservation in ec2.describe_instances()["Reservations"]:
        for instance in reservation["Instances"]:
            instance_id = instance["InstanceId"]
            attributes = {a: ec2.describe_instance_attribute(InstanceId=instance_id, Attribute=a) for a in
                          ("disableApiTermination", "disableApiStop", "instanceInitiatedShutdownBehavior")}
            found[instance_id] = {
                "state": instance["State"]["Name"],
                "tags": _tags(instance),
                "attributes": {k: v for a in attributes.values() for k, v in a.items() if k not in ("InstanceId", "ResponseMetadata")},
                "delete_on_termination": {m["DeviceName"]: m["Ebs"]["DeleteOnTermination"] for m in instance.get("BlockDeviceMappings", [])},
                "interfaces": {e["NetworkInterfaceId"]: [g["GroupId"] for g in e["Groups"]] for e in instance.get("NetworkInterfaces", [])},
                "profile": instance.get("IamInstanceProfile", {}).get("Arn"),
            }
    return found


def read_estate(lab, bucket):
    """What the run changed or made, read back with boto3: instances, groups, Auto Scaling, load balancers,
    snapshots, volumes, SSM commands and the evidence bucket's objects, under stable names."""
    ec2, asg, elb, elbv2, ssm, s3 = (aws(lab, s) for s in ("ec2", "autoscaling", "elb", "elbv2", "ssm", "s3"))
    groups = {g["GroupId"]: {"ingress": g["IpPermissions"], "egress": g["IpPermissionsEgress"], "tags": _tags(g)}
              for g in ec2.describe_security_groups()["SecurityGroups"]}
    estate = {
        "instances": _instances(ec2),
        "security_groups": groups,
        "auto_scaling": {g["AutoScalingGroupName"]: {"desired": g["DesiredCapacity"], "instances": [i["InstanceId"] for i in g["Instances"]]}
                         for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"]},
        "classic_load_balancers": {b["LoadBalancerName"]: [i["InstanceId"] for i in b["Instances"]]
                                   for b in elb.describe_load_balancers()["LoadBalancerDescriptions"]},
        "targets": {g["TargetGroupName"]: [(t["Target"]["Id"], t["Target"].get("Port"), t["TargetHealth"]["State"])
                                           for t in elbv2.describe_target_health(TargetGroupArn=g["TargetGroupArn"])["TargetHealthDescriptions"]]
                    for g in elbv2.describe_target_groups()["TargetGroups"]},
        "snapshots": [{"volume": s["VolumeId"], "state": s["State"], "description": s.get("Description"), "tags": _tags(s)} for s in _snapshots(ec2)],
        "volumes": {v["VolumeId"]: _tags(v) for v in ec2.describe_volumes()["Volumes"]},
        "commands": [{"instances": c["InstanceIds"], "document": c["DocumentName"], "comment": c["Comment"], "status": c["Status"]}
                     for c in ssm.list_commands()["Commands"]],
        "objects": [(v["Key"], v["IsLatest"]) for v in s3.list_object_versions(Bucket=bucket).get("Versions", [])],
    }
    return Names(lab).stable(estate, unordered=True)


_ACTION_KEYS = ("stage", "service", "action", "target", "instance_ids", "parameters", "before", "after", "outcome", "error_code")


def record_of(manifest, names):
    """A manifest's actions and runs (in that order) and per-instance record, without times, request ids, version ids and content hashes."""
    instances = {
        instance_id: {
            "state_before": record.get("state_before"),
            "outcome": record.get("outcome"),
            "warnings": record.get("warnings"),
            "artifacts": [a["key"] for a in record.get("artifacts", [])],
            "snapshots": [{k: s[k] for k in ("volume_id", "device_name", "state", "tags")} for s in record.get("snapshots", [])],
        }
        for instance_id, record in manifest["instances"].items()
    }
    return {
        "actions": [_action(a, names) for a in manifest["actions"]],
        "runs": [{k: r.get(k) for k in ("playbook", "status", "check_mode", "failed_stage")} for r in manifest["runs"]],
        "instances": names.stable(instances, unordered=True),
    }


def _action(action, names):
    """One action record under stable names; its lists and its target's comma-separated ids sorted (their order followed the ids)."""
    stable = names.stable({k: action[k] for k in _ACTION_KEYS}, unordered=True)
    return dict(stable, target=",".join(sorted(stable["target"].split(","))))


def calls_made(requests, names):
    """The mutating calls that AWS answered with success, in order: [service, action, parameters] under stable names.

    The parameters are the request's as sorted "Key.N.Sub=value" strings, N dropped: a list's order followed the ids.
    """
    return [[r["service"], r["action"], _unindexed(names.stable(r["params"]))] for r in mutating(requests) if r["error_code"] is None]


def _unindexed(params):
    return sorted(f"{_INDEX.sub('.N', key)}={json.dumps(value, sort_keys=True)}" for key, value in params.items())
