from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import protection

OK = {"ResponseMetadata": {"RequestId": "r"}}
OPEN = {"DisableApiTermination": False, "DisableApiStop": False, "InstanceInitiatedShutdownBehavior": "terminate"}


def test_protection_sets_one_attribute_per_call_and_skips_termination_protection_on_spot(fake_client):
    client = fake_client(modify_instance_attribute=OK)
    attributes, devices, warnings = protection.protect_instance(ActionLog("containment", False), client, "i-1", OPEN,
                                                                {"/dev/xvda": True, "/dev/sdf": False}, spot=True)
    assert [p for _n, p in client.calls] == [
        {"InstanceId": "i-1", "DisableApiStop": {"Value": True}},
        {"InstanceId": "i-1", "Attribute": "instanceInitiatedShutdownBehavior", "Value": "stop"},
        {"InstanceId": "i-1", "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": False}}]},
    ]
    assert attributes == {"DisableApiTermination": False, "DisableApiStop": True, "InstanceInitiatedShutdownBehavior": "stop"}
    assert devices == {"/dev/xvda": False, "/dev/sdf": False}
    assert "Spot instance, termination protection cannot be enabled" in warnings[0]


def test_restoring_sets_back_only_what_differs_from_the_record(fake_client):
    client = fake_client(modify_instance_attribute=OK)
    log = ActionLog("release", False)
    protected = {"DisableApiTermination": True, "DisableApiStop": True, "InstanceInitiatedShutdownBehavior": "stop"}
    recorded = dict(protected, DisableApiTermination=False, InstanceInitiatedShutdownBehavior="terminate")
    after, _warnings = protection.set_attributes(log, client, "i-1", protected, recorded, spot=False)
    devices = protection.set_delete_on_termination(log, client, "i-1", {"/dev/xvda": False, "/dev/sdf": False}, {"/dev/xvda": True, "/dev/sdf": False})
    assert after == recorded and devices == {"/dev/xvda": True, "/dev/sdf": False}
    assert [p for _n, p in client.calls] == [
        {"InstanceId": "i-1", "DisableApiTermination": {"Value": False}},
        {"InstanceId": "i-1", "Attribute": "instanceInitiatedShutdownBehavior", "Value": "terminate"},
        {"InstanceId": "i-1", "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": True}}]},
    ]
