from ansible_collections.secops.aws_ir.plugins.module_utils.containment import egress

REGION = "us-east-1"


def endpoint(service, kind="Interface", private_dns=True, state="available", groups=("sg-vpce",), endpoint_id=None):
    return {"VpcEndpointId": endpoint_id or f"vpce-{service}", "ServiceName": f"com.amazonaws.{REGION}.{service}", "VpcEndpointType": kind,
            "State": state, "PrivateDnsEnabled": private_dns, "Groups": [{"GroupId": g} for g in groups]}


def full_set():
    return [endpoint("ssm"), endpoint("ssmmessages", groups=("sg-vpce", "sg-msg")), endpoint("ec2messages"),
            endpoint("s3", kind="Gateway", private_dns=False, groups=())]


def test_with_the_three_interface_endpoints_and_the_s3_gateway_egress_goes_only_to_them():
    choice = egress.choose(full_set(), REGION, "pl-s3")
    assert choice["mode"] == egress.MODE_ENDPOINTS
    assert choice["destinations"] == {("group", "sg-vpce"), ("group", "sg-msg"), ("prefix_list", "pl-s3")}


def test_any_missing_piece_falls_back_to_https_anywhere_and_says_which():
    cases = [
        ([e for e in full_set() if "ec2messages" not in e["ServiceName"]], "no available interface endpoint for ec2messages"),
        ([endpoint("ssm", private_dns=False, endpoint_id="vpce-1")] + full_set()[1:], "the ssm interface endpoint vpce-1 has private DNS off"),
        (full_set()[:3], "no available S3 gateway endpoint"),
        (full_set()[:3] + [endpoint("s3")], "no available S3 gateway endpoint"),  # an S3 interface endpoint is not routed by prefix list
        ([endpoint("ssm", state="pending")] + full_set()[1:], "no available interface endpoint for ssm"),
    ]
    for endpoints, reason in cases:
        choice = egress.choose(endpoints, REGION, "pl-s3")
        assert (choice["mode"], choice["destinations"]) == (egress.MODE_HTTPS_ANYWHERE, {egress.ANYWHERE_V4}), reason
        assert reason in choice["reason"]
    # Endpoints of another Region's services do not count.
    elsewhere = [dict(e, ServiceName=e["ServiceName"].replace(REGION, "eu-west-1")) for e in full_set()]
    assert egress.choose(elsewhere, REGION, "pl-s3")["mode"] == egress.MODE_HTTPS_ANYWHERE


def test_rules_and_destinations_convert_both_ways():
    wanted = {("group", "sg-b"), ("group", "sg-a"), ("prefix_list", "pl-1"), ("cidr", "10.0.0.0/8"), ("cidr6", "::/0")}
    rule = egress.permission(egress.HTTPS, wanted)
    assert rule["UserIdGroupPairs"] == [{"GroupId": "sg-a"}, {"GroupId": "sg-b"}] and (rule["FromPort"], rule["ToPort"]) == (443, 443)
    assert egress.destinations([rule, {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}], egress.HTTPS) == wanted
    everything = egress.permission(egress.ALL_TRAFFIC, {egress.ANYWHERE_V4})
    assert everything == {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    assert egress.destinations([dict(everything, FromPort=-1, ToPort=-1)], egress.ALL_TRAFFIC) == {egress.ANYWHERE_V4}


def test_each_vpc_gets_its_own_choice_and_s3s_prefix_list_is_read_only_when_a_vpc_has_a_gateway_endpoint(fake_client):
    client = fake_client(describe_prefix_lists={"PrefixLists": [{"PrefixListId": "pl-s3", "PrefixListName": f"com.amazonaws.{REGION}.s3"}]})
    choices = egress.choose_each(client, REGION, {"vpc-a": full_set(), "vpc-b": []})
    assert (choices["vpc-a"]["mode"], choices["vpc-b"]["mode"]) == (egress.MODE_ENDPOINTS, egress.MODE_HTTPS_ANYWHERE)
    assert ("prefix_list", "pl-s3") in choices["vpc-a"]["destinations"]
    assert client.calls == [("describe_prefix_lists", {"Filters": [{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{REGION}.s3"]}]})]
    client = fake_client()
    assert egress.choose_each(client, REGION, {"vpc-b": full_set()[:3]})["vpc-b"]["mode"] == egress.MODE_HTTPS_ANYWHERE
    assert client.calls == []
