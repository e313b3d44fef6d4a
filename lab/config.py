"""The lab's runtime knobs (throttling, injected faults, SSM timings) and the errors they inject."""
import copy
import random
import threading

from lab.wire import THROTTLE

SSM_DEFAULTS = {"invocation_absent_seconds": 0.3, "pending_seconds": 0.2, "in_progress_seconds": 0.5}
_FAULT_KEYS = {"service", "action", "key", "code", "status", "message", "count", "after"}


def _throttle(value, current):
    if not isinstance(value, dict) or set(value) - {"fraction", "seed"}:
        raise ValueError("throttle takes an object with 'fraction' and 'seed'")
    merged = {**current, **value}
    fraction = float(merged["fraction"])
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("throttle.fraction must be between 0.0 and 1.0")
    seed = merged["seed"]
    if seed is not None and not isinstance(seed, int):
        raise ValueError("throttle.seed must be an integer or null")
    return {"fraction": fraction, "seed": seed}


def _fault(value):
    if not isinstance(value, dict) or not value.get("code") or set(value) - _FAULT_KEYS:
        raise ValueError(f"a fault is an object with 'code' and optional {sorted(_FAULT_KEYS - {'code'})}: {value!r}")
    count = value.get("count")
    if count is not None and (not isinstance(count, int) or count < 1):
        raise ValueError("fault.count must be a positive integer or null")
    after = value.get("after") or 0
    if not isinstance(after, int) or after < 0:
        raise ValueError("fault.after must be a non-negative integer")
    return {
        "service": value.get("service"),
        "action": value.get("action"),
        "key": value.get("key"),
        "code": value["code"],
        "status": int(value.get("status") or 400),
        "message": value.get("message") or f"Injected fault {value['code']}",
        "count": count,
        "after": after,
    }


def _ssm(value, current):
    if not isinstance(value, dict) or set(value) - set(SSM_DEFAULTS):
        raise ValueError(f"ssm takes an object with keys {sorted(SSM_DEFAULTS)}")
    merged = {**current, **{key: float(seconds) for key, seconds in value.items()}}
    if any(seconds < 0 for seconds in merged.values()):
        raise ValueError("ssm timings must not be negative")
    return merged


def _matches(fault, call):
    """Whether a request is one the fault names: its service, action and (S3) object key, each when given."""
    return (fault["service"] in (None, call.service) and fault["action"] in (None, call.action)
            and fault["key"] in (None, call.params.get("key") if call.service == "s3" else None))


class LabConfig:
    """Thread-safe configuration; reset() returns to the values the lab was started with."""

    def __init__(self, ssm=None, execute_locally=False):
        self.execute_locally = execute_locally
        self._baseline = {"throttle": {"fraction": 0.0, "seed": None}, "faults": [], "ssm": _ssm(ssm or {}, SSM_DEFAULTS)}
        self._lock = threading.Lock()
        self._values = {}
        self._rng = random.Random()
        self.reset()

    def reset(self):
        with self._lock:
            self._values = copy.deepcopy(self._baseline)
            self._rng = random.Random()

    def snapshot(self):
        with self._lock:
            return {**copy.deepcopy(self._values), "execute_locally": self.execute_locally}

    def merge(self, update):
        """Apply a partial configuration; raises ValueError (and changes nothing) when any part is invalid."""
        if not isinstance(update, dict) or set(update) - {"throttle", "faults", "ssm"}:
            raise ValueError("config takes an object with keys 'throttle', 'faults', 'ssm'")
        with self._lock:
            values = copy.deepcopy(self._values)
            if "throttle" in update:
                values["throttle"] = _throttle(update["throttle"], values["throttle"])
            if "faults" in update:
                if not isinstance(update["faults"], list):
                    raise ValueError("faults must be a list")
                values["faults"] = [_fault(fault) for fault in update["faults"]]
            if "ssm" in update:
                values["ssm"] = _ssm(update["ssm"], values["ssm"])
            self._values = values
            if "throttle" in update:
                self._rng = random.Random(values["throttle"]["seed"])

    def ssm_timings(self):
        with self._lock:
            return dict(self._values["ssm"])

    def injected_error(self, call):
        """(code, status, message) of the error this request must get instead of an answer, or None."""
        with self._lock:
            for fault in self._values["faults"]:
                if _matches(fault, call) and fault["count"] != 0:
                    if fault["after"]:
                        fault["after"] -= 1  # this matching request still goes through
                        continue
                    if fault["count"] is not None:
                        fault["count"] -= 1
                    return fault["code"], fault["status"], fault["message"]
            fraction = self._values["throttle"]["fraction"]
            if fraction and self._rng.random() < fraction:
                return THROTTLE[call.protocol]
        return None
