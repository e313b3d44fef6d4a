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
