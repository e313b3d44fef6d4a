"""Which operation a REST-JSON request (GuardDuty, Security Hub) is, read from botocore's service model.

These services name the operation by method and path (POST /detector/{detectorId}/findings/get),
not by a header or form field; botocore's model holds every operation's requestUri, so the lab
matches requests against it instead of keeping its own table.
"""
import functools
import re

from moto.core.utils import get_service_model

REST_JSON_SERVICES = ("guardduty", "securityhub")
_LABEL = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")


def _pattern(request_uri):
    path = request_uri.split("?", 1)[0]
    parts, last = [], 0
    for match in _LABEL.finditer(path):
        parts.append(re.escape(path[last:match.start()]))
        parts.append(f"(?P<{match.group(1)}>.+)" if match.group(2) else f"(?P<{match.group(1)}>[^/]+)")
        last = match.end()
    parts.append(re.escape(path[last:]))
    return re.compile("^" + "".join(parts) + "/?$")


@functools.lru_cache(maxsize=None)
def _routes(service):
    """[(method, compiled path pattern, operation name)], literal paths before templated ones."""
    model = get_service_model(service)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        routes.append((http["method"], _pattern(http["requestUri"]), name, http["requestUri"].count("{")))
    routes.sort(key=lambda route: route[3])
    return [(method, pattern, name) for method, pattern, name, _labels in routes]


def operation(service, method, path):
    """(operation name, path parameters) of a request, or ("", {}) when none matches."""
    for route_method, pattern, name in _routes(service):
        if route_method != method:
            continue
        match = pattern.match(path)
        if match:
            return name, match.groupdict()
    return "", {}
