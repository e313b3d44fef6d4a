"""The log of AWS requests the lab answered, with per-action counts."""
import threading
from collections import defaultdict

from lab.identify import redact
from lab.moto_state import account_for


class RequestLog:
    """Thread-safe, append-only (until cleared) list of request entries and their counts."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []
        self._counts = defaultdict(lambda: defaultdict(int))

    def record(self, call, started, ended, status, error_code):
        entry = {
            "t": started,
            "t_end": ended,
            "service": call.service,
            "action": call.action,
            "status": status,
            "error_code": error_code,
            "params": redact(call.params),
            "user_agent": call.user_agent,
            "account": account_for(call.access_key),
            "amz_headers": list(call.amz_headers),
        }
        with self._lock:
            self._entries.append(entry)
            self._counts[call.service][call.action] += 1

    def entries(self):
        with self._lock:
            return list(self._entries)

    def counts(self):
        with self._lock:
            return {service: dict(actions) for service, actions in self._counts.items()}

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._counts.clear()
