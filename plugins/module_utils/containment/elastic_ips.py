# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Opt-in: take the instance's Elastic IP addresses away, and put them back on release.

An Elastic IP keeps the instance reachable from, and reaching, the internet
through the internet gateway's one-to-one NAT. Disassociating it
(DisassociateAddress) ends that path; the address stays allocated to the account
and is recorded (allocation id, interface, private IP) so that a release
associates it again with the same interface and private IP. An instance in a
public subnet may receive a new auto-assigned public IPv4 address instead; an
instance that reaches SSM only through the internet gateway loses SSM.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError


class ElasticIpError(AwsIrError, ValueError):
    """An address that cannot be put back; the message names it."""


def _record(address):
    return {"allocation_id": address["AllocationId"], "public_ip": address["PublicIp"],
            "network_interface_id": address["NetworkInterfaceId"], "private_ip_address": address.get("PrivateIpAddress")}


def read_addresses(client, interfaces):
    """{instance_id: [address]} of the Elastic IPs associated with the interfaces (DescribeAddresses).

    interfaces: dicts with network_interface_id and instance_id. An address is
    {"allocation_id", "public_ip", "network_interface_id", "private_ip_address"}.
    """
    owner = {eni["network_interface_id"]: eni["instance_id"] for eni in interfaces}
    found = {}
    if not owner:
        return found
    filters = [{"Name": "network-interface-id", "Values": sorted(owner)}]
    for address in client.describe_addresses(aws_retry=True, Filters=filters)["Addresses"]:
        if address.get("AllocationId") and address.get("NetworkInterfaceId") in owner:
            found.setdefault(owner[address["NetworkInterfaceId"]], []).append(_record(address))
    return found


def associations(client, allocation_ids):
    """{allocation_id: {"association_id", "network_interface_id", "private_ip_address"} or None} now (DescribeAddresses)."""
    if not allocation_ids:
        return {}
    addresses = client.describe_addresses(aws_retry=True, AllocationIds=sorted(allocation_ids))["Addresses"]
    return {a["AllocationId"]: ({"association_id": a["AssociationId"], "network_interface_id": a.get("NetworkInterfaceId"),
                                 "private_ip_address": a.get("PrivateIpAddress")} if a.get("AssociationId") else None) for a in addresses}


def disassociate(log, client, instance_id, addresses, current):
    """DisassociateAddress for each of the instance's addresses still associated; returns the public IPs taken away."""
    taken = []
    for address in addresses:
        association = current.get(address["allocation_id"])
        if association is None:
            continue
        log.call(client, "ec2", "DisassociateAddress", address["allocation_id"], {"AssociationId": association["association_id"]},
                 instance_ids=[instance_id], before=address, after={"allocation_id": address["allocation_id"], "network_interface_id": None})
        taken.append(address["public_ip"])
    return taken


def check_restorable(instance_id, recorded, current):
    """ElasticIpError, before any change, for a recorded address released since or associated elsewhere."""
    for address in recorded:
        allocation_id = address["allocation_id"]
        if allocation_id not in current:
            raise ElasticIpError(f"recorded_state[{instance_id}]: Elastic IP {address['public_ip']} ({allocation_id}) is no longer allocated to this account")
        association = current[allocation_id]
        if association is not None and association["network_interface_id"] != address["network_interface_id"]:
            raise ElasticIpError(f"recorded_state[{instance_id}]: Elastic IP {address['public_ip']} ({allocation_id}) is now associated with "
                                 f"{association['network_interface_id']}; disassociate it there first")


def associate(log, client, instance_id, recorded, current):
    """AssociateAddress of each recorded address not associated (AllowReassociation false); returns the public IPs put back."""
    restored = []
    for address in recorded:
        if current.get(address["allocation_id"]) is not None:
            continue
        parameters = {"AllocationId": address["allocation_id"], "NetworkInterfaceId": address["network_interface_id"], "AllowReassociation": False}
        if address["private_ip_address"]:
            parameters["PrivateIpAddress"] = address["private_ip_address"]
        log.call(client, "ec2", "AssociateAddress", address["allocation_id"], parameters, instance_ids=[instance_id],
                 before={"allocation_id": address["allocation_id"], "network_interface_id": None}, after=address)
        restored.append(address["public_ip"])
    return restored
