from ansible_collections.secops.aws_ir.plugins.module_utils.containment import original_state
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import MAX_TAGS
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import MAX_VALUE_LENGTH

ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg-{n:02d}/0123456789abcdef"
INTERFACES = [{"network_interface_id": "eni-1", "device_index": 0, "vpc_id": "vpc-1", "subnet_id": "subnet-1", "groups": ["sg-a", "sg-b"]},
              {"network_interface_id": "eni-2", "device_index": 1, "vpc_id": "vpc-2", "subnet_id": "subnet-2", "groups": ["sg-c"]}]


def state(targets=2):
    return {
        "instance_id": "i-1",
        "attributes": {"DisableApiTermination": False, "DisableApiStop": True, "InstanceInitiatedShutdownBehavior": "terminate"},
        "delete_on_termination": {"/dev/xvda": True, "/dev/sdf": False},
        "network_interfaces": INTERFACES,
        "auto_scaling": {"group_name": "web asg = prod", "lifecycle_state": "InService", "min_size": 1, "max_size": 4, "desired_capacity": 2},
        "load_balancers": ["web-clb", "api-clb"],
        "target_groups": [{"target_group_arn": ARN.format(n=n), "target_type": "instance", "id": "i-1", "port": 80 + n,
                           "availability_zone": None, "state": "healthy"} for n in range(targets)]
        + [{"target_group_arn": ARN.format(n=99), "target_type": "ip", "id": "10.0.0.5", "port": 8443, "availability_zone": "us-east-1a",
            "state": "healthy"}],
        "elastic_ips": [{"allocation_id": "eipalloc-1", "public_ip": "198.51.100.7", "network_interface_id": "eni-1", "private_ip_address": "10.0.0.5"}],
        "iam_instance_profile": {"arn": "arn:aws:iam::123456789012:instance-profile/web"},
    }


def round_trip(recorded):
    instance_tags = original_state.to_tags(original_state.instance_fields(recorded))
    interface_tags = {e["network_interface_id"]: original_state.to_tags(original_state.interface_fields(e, recorded["elastic_ips"]))
                      for e in recorded["network_interfaces"]}
    return instance_tags, interface_tags, original_state.recorded(instance_tags, INTERFACES, interface_tags)


def test_the_recorded_state_comes_back_exactly_from_its_tags():
    instance_tags, interface_tags, back = round_trip(state())
    assert dict(back, instance_id="i-1") == state()
    assert instance_tags["AwsIr:OriginalAttributes"] == "DisableApiTermination=false DisableApiStop=true InstanceInitiatedShutdownBehavior=terminate"
    assert interface_tags["eni-1"] == {"AwsIr:OriginalGroups": "sg-a sg-b", "AwsIr:OriginalElasticIps": "eipalloc-1,198.51.100.7,10.0.0.5"}
    assert not any(k.lower().startswith("aws:") for k in instance_tags)


def test_a_value_longer_than_256_characters_continues_in_numbered_keys_and_comes_back_whole():
    instance_tags, _interfaces, back = round_trip(state(targets=12))
    keys = [k for k in instance_tags if k.startswith("AwsIr:OriginalTargetGroups")]
    assert keys[:3] == ["AwsIr:OriginalTargetGroups", "AwsIr:OriginalTargetGroups:2", "AwsIr:OriginalTargetGroups:3"]
    assert all(len(v) <= MAX_VALUE_LENGTH for v in instance_tags.values()) and all(len(k) <= 128 for k in instance_tags)
    assert dict(back, instance_id="i-1") == state(targets=12)


def test_an_instance_without_its_anchor_tag_has_no_recorded_state_and_an_interface_without_one_is_not_listed():
    instance_tags, interface_tags, _back = round_trip(state())
    assert original_state.recorded({k: v for k, v in instance_tags.items() if k != "AwsIr:OriginalAttributes"}, INTERFACES, interface_tags) is None
    back = original_state.recorded(instance_tags, INTERFACES, {"eni-1": interface_tags["eni-1"]})
    assert [e["network_interface_id"] for e in back["network_interfaces"]] == ["eni-1"]


def test_a_resource_without_room_for_its_record_is_not_tagged_and_the_warning_says_so():
    class Log:
        records = []

        def call(self, *args, **kwargs):
            self.records.append(args)

    warnings = []
    full = {f"Key{n}": "v" for n in range(MAX_TAGS - 1)}
    original_state._write(Log(), None, "eni-1", "i-1", full, original_state.interface_fields(INTERFACES[0], []), warnings)  # pylint: disable=protected-access
    assert Log.records == []
    assert warnings == ["i-1: the original state of eni-1 is not kept on it: it has 49 tags and the record needs 2 more (at most 50); "
                        "a release of it needs the evidence manifest"]
