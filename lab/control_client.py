"""A small HTTP client for the lab's control API (standard library only, so any test can use it)."""
import json
import urllib.error
import urllib.request

HOST = "127.0.0.1"  # the lab never listens anywhere else


def control(endpoint_url, method, path, payload=None, timeout=10):
    """Call /_lab/<path> and return its JSON answer; raises RuntimeError on an error status."""
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(f"{endpoint_url.rstrip('/')}/_lab/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"lab control {method} /_lab/{path}: {error.code} {error.read().decode('utf-8', 'replace')}") from error


def healthy(endpoint_url, timeout=1.0):
    """True when a lab answers /_lab/health at that URL."""
    try:
        return control(endpoint_url, "GET", "health", timeout=timeout) == {"ok": True}
    except (OSError, RuntimeError, ValueError):
        return False
