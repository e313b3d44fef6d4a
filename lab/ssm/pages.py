"""NextToken/MaxResults pagination shared by the SSM list and describe actions."""
import base64
import json

from lab.ssm.errors import SsmError, validation


def max_results(params, field_name, default, low, high):
    """MaxResults within the range the API model allows."""
    value = params.get("MaxResults", default)
    if not isinstance(value, int) or not low <= value <= high:
        raise validation(field_name, value, f"Member must have value between {low} and {high}")
    return value


def page(items, params, size):
    """(the items of this page, the NextToken for the next one or None)."""
    start = _offset(params.get("NextToken"))
    end = start + size
    token = base64.b64encode(json.dumps({"offset": end}).encode()).decode() if end < len(items) else None
    return items[start:end], token


def _offset(token):
    if not token:
        return 0
    try:
        offset = json.loads(base64.b64decode(token))["offset"]
    except (ValueError, KeyError, TypeError) as error:
        raise SsmError("InvalidNextToken", "The specified token isn't valid.") from error
    if not isinstance(offset, int) or offset < 0:
        raise SsmError("InvalidNextToken", "The specified token isn't valid.")
    return offset
