from ansible_collections.secops.aws_ir.plugins.module_utils.containment import connection_tracking
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import tracking

MAIN = {"RouteTableId": "rtb-main", "VpcId": "vpc-1", "Associations": [{"Main": True}], "Routes": [
    {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
    {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"},
    {"DestinationPrefixListId": "pl-s3", "GatewayId": "vpce-s3"},
]}
PRIVATE = {"RouteTableId": "rtb-private", "VpcId": "vpc-1", "Associations": [{"SubnetId": "subnet-private"}], "Routes": [
    {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"},
    {"DestinationCidrBlock": "10.0.0.0/8", "TransitGatewayId": "tgw-1"},
    {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1"},
    {"DestinationCidrBlock": "192.168.0.0/16", "GatewayId": "vpce-gwlb"},
]}


def test_a_subnet_uses_its_own_route_table_else_the_main_one():
    assert tracking.subnet_route_table([MAIN, PRIVATE], "subnet-private", "vpc-1") is PRIVATE
    assert tracking.subnet_route_table([MAIN, PRIVATE], "subnet-public", "vpc-1") is MAIN


def test_nat_transit_egress_only_and_gateway_load_balancer_routes_are_tracked_paths_the_s3_gateway_is_not():
    paths = tracking.tracked_paths([{"subnet_id": "subnet-private", "vpc_id": "vpc-1"}], [MAIN, PRIVATE], {}, [])
    assert paths == [
        "NAT gateway nat-1 (route table rtb-private of subnet-private)",
        "transit gateway tgw-1 (route table rtb-private of subnet-private)",
        "egress-only internet gateway eigw-1 (route table rtb-private of subnet-private)",
        "Gateway Load Balancer or Network Firewall endpoint vpce-gwlb (route table rtb-private of subnet-private)",
        tracking.ICMP,
    ]
    assert tracking.tracked_paths([{"subnet_id": "subnet-public", "vpc_id": "vpc-1"}], [MAIN, PRIVATE], {}, []) == [tracking.ICMP]


def test_interface_endpoints_and_network_load_balancers_are_tracked_paths_once_each():
    endpoints = {"vpc-1": [{"VpcEndpointId": "vpce-b", "VpcEndpointType": "Interface"}, {"VpcEndpointId": "vpce-a", "VpcEndpointType": "Interface"},
                           {"VpcEndpointId": "vpce-s3", "VpcEndpointType": "Gateway"}]}
    interfaces = [{"subnet_id": "subnet-public", "vpc_id": "vpc-1"}, {"subnet_id": "subnet-other", "vpc_id": "vpc-1"}]
    paths = tracking.tracked_paths(interfaces, [MAIN], endpoints, ["web-nlb (target group arn:tg)"])
    assert paths == ["interface VPC endpoints of vpc-1 (vpce-a, vpce-b)", "Network Load Balancer web-nlb (target group arn:tg)", tracking.ICMP]


def test_the_tracked_paths_warning_says_how_long_a_flow_lasts_with_the_interfaces_timeouts_now():
    nat = "NAT gateway nat-0abc (route 0.0.0.0/0 of rtb-1)"
    # Shortened (isolation's 60 s) on one interface, never configured (AWS's defaults apply) on the other: the longer wins.
    shortened = connection_tracking.lasting({"eni-1": connection_tracking.SHORTEST})
    mixed = connection_tracking.lasting({"eni-1": connection_tracking.SHORTEST, "eni-2": None})
    assert tracking.warning("i-1", [nat, tracking.ICMP], shortened).endswith(
        "Such a flow lasts until it has been idle for 60 s (established TCP) or 60 s (UDP stream); a network ACL on the subnet, "
        "or stopping the instance, ends them")
    assert "idle for 432000 s (established TCP) or 180 s (UDP stream)" in tracking.warning("i-1", [nat], mixed)
    assert tracking.warning("i-1", [tracking.ICMP], shortened) is None
