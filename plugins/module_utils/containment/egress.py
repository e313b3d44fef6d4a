# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The quarantine group's egress: what the SSM Agent needs, and nothing else.

The agent talks HTTPS to ssm, ssmmessages and ec2messages, and uploads command
output to S3. Where the VPC has interface endpoints for the three (with private
DNS, so the agent's usual host names resolve to them) and a gateway endpoint for
S3, the only egress is tcp/443 to the endpoints' security groups and to the S3
prefix list. Otherwise the agent reaches the public service endpoints, and the
only egress that keeps it working is tcp/443 to 0.0.0.0/0: HTTPS to the
internet stays open, and the module warns so.

A destination is a (kind, value) pair: ("cidr", "0.0.0.0/0"), ("cidr6", "::/0"),
("group", "sg-..."), ("prefix_list", "pl-..."); rules are compared and changed
as sets of destinations per protocol and port range.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.retry import paginate

SSM_SERVICES = ("ssm", "ssmmessages", "ec2messages")
MODE_ENDPOINTS = "vpc_endpoints"
MODE_HTTPS_ANYWHERE = "https_anywhere"
MODE_USER_GROUPS = "user_groups"
HTTPS = ("tcp", 443, 443)
ALL_TRAFFIC = ("-1", None, None)
ANYWHERE_V4 = ("cidr", "0.0.0.0/0")
ANYWHERE_V6 = ("cidr6", "::/0")

# (key in an IpPermission, key of each item, destination kind)
_SOURCES = (("IpRanges", "CidrIp", "cidr"), ("Ipv6Ranges", "CidrIpv6", "cidr6"),
            ("PrefixListIds", "PrefixListId", "prefix_list"), ("UserIdGroupPairs", "GroupId", "group"))


def destinations(rules, protocol):
    """The destinations (or sources) of the rules for one (IpProtocol, FromPort, ToPort), as a set."""
    found = set()
    for rule in rules:
        if (rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort")) != protocol and not (
                protocol == ALL_TRAFFIC and rule.get("IpProtocol") == "-1"):
            continue
        for key, item_key, kind in _SOURCES:
            found.update((kind, item[item_key]) for item in rule.get(key) or [])
    return found


def permission(protocol, wanted):
    """One IpPermission (boto3 shape) for a protocol and a set of destinations, in a stable order."""
    ip_protocol, from_port, to_port = protocol
    rule = {"IpProtocol": ip_protocol}
    if ip_protocol != "-1":
        rule.update(FromPort=from_port, ToPort=to_port)
    for key, item_key, kind in _SOURCES:
        values = sorted(value for k, value in wanted if k == kind)
        if values:
            rule[key] = [{item_key: value} for value in values]
    return rule


# How a destination reads after "tcp/443 to": an address range as it is ("cidr 0.0.0.0/0" read as all traffic open).
_WORDS = {"cidr": "", "cidr6": "", "group": "security group ", "prefix_list": "prefix list "}


def text(wanted):
    """Human text of a set of destinations, for notes and warnings ("0.0.0.0/0, security group sg-1")."""
    return ", ".join(f"{_WORDS.get(kind, kind + ' ')}{value}" for kind, value in sorted(wanted)) or "nothing"


def read_endpoints(client, vpc_ids):
    """{vpc_id: [VPC endpoint (boto3 shape)]} (DescribeVpcEndpoints)."""
    found = {vpc_id: [] for vpc_id in vpc_ids}
    if vpc_ids:
        for endpoint in paginate(client, "describe_vpc_endpoints", Filters=[{"Name": "vpc-id", "Values": sorted(vpc_ids)}])["VpcEndpoints"]:
            found[endpoint["VpcId"]].append(endpoint)
    return found


def s3_prefix_list_id(client, region):
    """The id of the AWS-managed prefix list of S3 in the Region (DescribePrefixLists), or None."""
    name = f"com.amazonaws.{region}.s3"
    lists = paginate(client, "describe_prefix_lists", Filters=[{"Name": "prefix-list-name", "Values": [name]}])["PrefixLists"]
    return lists[0]["PrefixListId"] if lists else None


def choose_each(client, region, endpoints):
    """{vpc_id: choose(...)} for endpoints {vpc_id: [endpoint]} (read_endpoints); S3's prefix list is read only when a VPC has a gateway endpoint."""
    needs_prefix_list = any(e["VpcEndpointType"] == "Gateway" for found in endpoints.values() for e in found)
    prefix_list_id = s3_prefix_list_id(client, region) if needs_prefix_list else None
    return {vpc_id: choose(found, region, prefix_list_id) for vpc_id, found in endpoints.items()}


def _available(endpoints, region, service, kind):
    name = f"com.amazonaws.{region}.{service}"
    return [e for e in endpoints if e["ServiceName"] == name and e["VpcEndpointType"] == kind and e.get("State", "").lower() == "available"]


def choose(endpoints, region, prefix_list_id):
    """The egress choice for one VPC: {"mode", "destinations" (set), "reason"}.

    endpoints: the VPC's endpoints. prefix_list_id: S3's prefix list in the Region.
    """
    missing, absent, groups = [], [], set()
    for service in SSM_SERVICES:
        found = _available(endpoints, region, service, "Interface")
        resolving = [e for e in found if e.get("PrivateDnsEnabled")]
        if not found:
            absent.append(service)
        elif not resolving:
            missing.append(f"the {service} interface endpoint {found[0]['VpcEndpointId']} has private DNS off")
        for endpoint in resolving:
            groups.update(("group", g["GroupId"]) for g in endpoint.get("Groups", []))
    if absent:
        missing.insert(0, f"no available interface endpoint for {', '.join(absent)}")
    if not _available(endpoints, region, "s3", "Gateway"):
        missing.append("no available S3 gateway endpoint")
    elif prefix_list_id is None:
        missing.append(f"no prefix list com.amazonaws.{region}.s3")
    if missing:
        return {"mode": MODE_HTTPS_ANYWHERE, "destinations": {ANYWHERE_V4}, "reason": "; ".join(missing)}
    return {"mode": MODE_ENDPOINTS, "destinations": groups | {("prefix_list", prefix_list_id)},
            "reason": "interface endpoints for ssm, ssmmessages and ec2messages (private DNS) and an S3 gateway endpoint"}


def https_open_warning(vpc_id, choice):
    return (f"{vpc_id}: quarantine egress is tcp/443 to 0.0.0.0/0 so the SSM Agent keeps working ({choice['reason']}): "
            "HTTPS to the internet stays open from the contained instances; VPC interface endpoints for ssm, ssmmessages "
            "and ec2messages and an S3 gateway endpoint would close it")
