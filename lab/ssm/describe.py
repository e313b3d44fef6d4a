"""DescribeInstanceInformation over the managed nodes."""
import re

from lab.ssm import nodes
from lab.ssm.errors import SsmError
from lab.ssm.pages import max_results, page

INSTANCE_ID = re.compile(r"^(i-(\w{8}|\w{17})|mi-\w{17})$")
# Filter key -> the InstanceInformation field it matches.
_FIELDS = {
    "InstanceIds": "InstanceId",
    "AgentVersion": "AgentVersion",
    "PingStatus": "PingStatus",
    "PlatformTypes": "PlatformType",
    "ResourceType": "ResourceType",
}


def _filters(params):
    """[(key, values)] from either filter style; AWS refuses both at once."""
    legacy = params.get("InstanceInformationFilterList") or []
    current = params.get("Filters") or []
    if legacy and current:
        raise SsmError("ValidationException", "InstanceInformationFilterList and Filters can't be used together.")
    pairs = [(item.get("key"), item.get("valueSet") or []) for item in legacy]
    pairs += [(item.get("Key"), item.get("Values") or []) for item in current]
    for key, values in pairs:
        known = key in _FIELDS or (bool(current) and (key or "").startswith("tag:")) or (bool(current) and key == "tag-key")
        if not known:
            raise SsmError("InvalidFilterKey", f"The filter key {key} isn't valid.")
        if not values:
            raise SsmError("InvalidInstanceInformationFilterValue", f"The filter {key} needs at least one value.")
        if key == "InstanceIds" and not all(INSTANCE_ID.match(value) for value in values):
            raise SsmError("InvalidInstanceId", f"Invalid instance id(s): {values}")
    return pairs


def _matches(node, info, key, values):
    if key.startswith("tag:"):
        return node.tags.get(key[4:]) in values
    if key == "tag-key":
        return any(value in node.tags for value in values)
    return info[_FIELDS[key]] in values


def describe_instance_information(params, account, region):
    """The DescribeInstanceInformation answer."""
    filters = _filters(params)
    size = max_results(params, "maxResults", 10, 5, 50)
    found = []
    for node in nodes.managed_nodes(account, region).values():
        info = nodes.information(node)
        if all(_matches(node, info, key, values) for key, values in filters):
            found.append(info)
    items, token = page(found, params, size)
    answer = {"InstanceInformationList": items}
    if token:
        answer["NextToken"] = token
    return answer
