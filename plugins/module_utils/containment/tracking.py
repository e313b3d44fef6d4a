# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Flows the security-group swap cannot end.

The untrack step works only for flows AWS does not track. AWS always tracks
ICMP, and tracks automatically every flow through a NAT gateway, a Network Load
Balancer, a transit gateway attachment, an interface VPC endpoint (PrivateLink),
an egress-only internet gateway and a Gateway Load Balancer (or Network Firewall)
endpoint (EC2 User Guide, "Security group connection tracking", automatically
tracked connections). Such flows outlive the swap until they time out; only a
network ACL, or stopping the instance, ends them. The instance uses those paths
when its subnets' route tables send traffic to them, when its VPC has interface
endpoints, or when it is a target of a Network Load Balancer.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

ICMP = "ICMP (always tracked)"
# (Route key, what it is) of route targets whose flows AWS tracks automatically.
_TRACKED_TARGETS = (
    ("NatGatewayId", "NAT gateway"),
    ("TransitGatewayId", "transit gateway"),
    ("EgressOnlyInternetGatewayId", "egress-only internet gateway"),
)


def read_route_tables(client, vpc_ids):
    """Every route table of the VPCs (DescribeRouteTables)."""
    if not vpc_ids:
        return []
    return paginate(client, "describe_route_tables", Filters=[{"Name": "vpc-id", "Values": sorted(vpc_ids)}])["RouteTables"]


def subnet_route_table(tables, subnet_id, vpc_id):
    """The route table of a subnet: its explicit association, else its VPC's main table (None if neither is known)."""
    main = None
    for table in tables:
        for association in table.get("Associations", []):
            if association.get("SubnetId") == subnet_id:
                return table
            if association.get("Main") and table.get("VpcId") == vpc_id:
                main = table
    return main


def _route_paths(table, subnet_id):
    paths = []
    for route in table.get("Routes", []):
        for key, kind in _TRACKED_TARGETS:
            if route.get(key):
                paths.append(f"{kind} {route[key]} (route table {table['RouteTableId']} of {subnet_id})")
        gateway = route.get("GatewayId") or ""
        # A gateway endpoint for S3 or DynamoDB is routed by prefix list; any other vpce- target is a Gateway Load Balancer endpoint.
        if gateway.startswith("vpce-") and not route.get("DestinationPrefixListId"):
            paths.append(f"Gateway Load Balancer or Network Firewall endpoint {gateway} (route table {table['RouteTableId']} of {subnet_id})")
    return paths


def tracked_paths(interfaces, tables, endpoints, nlb_targets):
    """The paths whose flows stay tracked for one instance, as sentences, ICMP last.

    interfaces: the instance's interfaces (subnet_id, vpc_id). endpoints: {vpc_id:
    [VPC endpoint]}. nlb_targets: ["<NLB name> (target group <arn>)"] the instance
    is registered behind.
    """
    paths = []
    for eni in interfaces:
        table = subnet_route_table(tables, eni["subnet_id"], eni["vpc_id"])
        if table is not None:
            paths += _route_paths(table, eni["subnet_id"])
        interface_endpoints = sorted(e["VpcEndpointId"] for e in endpoints.get(eni["vpc_id"], []) if e["VpcEndpointType"] == "Interface")
        if interface_endpoints:
            paths.append(f"interface VPC endpoints of {eni['vpc_id']} ({', '.join(interface_endpoints)})")
    paths += [f"Network Load Balancer {target}" for target in nlb_targets]
    return list(dict.fromkeys(paths)) + [ICMP]


# The same for every instance, so said once per case (the summary, the case report) rather than in each instance's warnings.
ICMP_WARNING = ("ICMP is always tracked: the security-group swap does not end ICMP flows of the contained instances; "
                "they continue until they time out (a network ACL on the subnet, or stopping the instance, ends them)")


def warning(instance_id, paths, lasting="they continue until they time out"):
    """The warning about the flows particular to this instance that stay tracked (paths without ICMP), or None.

    lasting: how long such a flow can last (connection_tracking.lasting).
    """
    paths = [p for p in paths if p != ICMP]
    if not paths:
        return None
    return (f"{instance_id}: the security-group swap does not end flows that AWS tracks automatically: {'; '.join(paths)}. "
            f"{lasting[0].upper()}{lasting[1:]}; a network ACL on the subnet, or stopping the instance, ends them")
