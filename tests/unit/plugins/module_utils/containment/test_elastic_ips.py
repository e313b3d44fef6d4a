import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import elastic_ips

ADDRESS = {"allocation_id": "eipalloc-1", "public_ip": "203.0.113.10", "network_interface_id": "eni-1", "private_ip_address": "10.0.1.5"}


def test_addresses_are_read_per_instance_by_interface(fake_client):
    client = fake_client(describe_addresses={"Addresses": [
        {"AllocationId": "eipalloc-1", "PublicIp": "203.0.113.10", "NetworkInterfaceId": "eni-1", "PrivateIpAddress": "10.0.1.5", "AssociationId": "a-1"}]})
    interfaces = [{"network_interface_id": "eni-1", "instance_id": "i-1"}, {"network_interface_id": "eni-2", "instance_id": "i-1"}]
    found = elastic_ips.read_addresses(client, interfaces)
    assert found == {"i-1": [ADDRESS]}
    assert client.calls == [("describe_addresses", {"Filters": [{"Name": "network-interface-id", "Values": ["eni-1", "eni-2"]}]})]


def test_release_puts_back_an_address_on_its_interface_and_private_ip_only_when_free(fake_client):
    client = fake_client(associate_address={"ResponseMetadata": {"RequestId": "r"}})
    assert elastic_ips.associate(ActionLog("release", False), client, "i-1", [ADDRESS], {"eipalloc-1": None}) == ["203.0.113.10"]
    assert client.calls == [("associate_address", {"AllocationId": "eipalloc-1", "NetworkInterfaceId": "eni-1", "AllowReassociation": False,
                                                   "PrivateIpAddress": "10.0.1.5"})]
    here = {"eipalloc-1": {"association_id": "a-1", "network_interface_id": "eni-1", "private_ip_address": "10.0.1.5"}}
    assert elastic_ips.associate(ActionLog("release", False), fake_client(), "i-1", [ADDRESS], here) == []


def test_release_refuses_an_address_released_or_in_use_elsewhere():
    with pytest.raises(elastic_ips.ElasticIpError, match=r"recorded_state\[i-1\]: Elastic IP 203.0.113.10 \(eipalloc-1\) is no longer allocated"):
        elastic_ips.check_restorable("i-1", [ADDRESS], {})
    elsewhere = {"eipalloc-1": {"association_id": "a-2", "network_interface_id": "eni-9", "private_ip_address": "10.0.9.9"}}
    with pytest.raises(elastic_ips.ElasticIpError, match="now associated with eni-9"):
        elastic_ips.check_restorable("i-1", [ADDRESS], elsewhere)
