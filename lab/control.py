"""The lab's control API under /_lab/: health, request log, counts, reset, configuration."""
import json

from werkzeug.wrappers import Request, Response


def _json(payload, status=200):
    return Response(json.dumps(payload), status=status, mimetype="application/json")


class ControlApi:
    """A tiny WSGI app; never logged, never throttled, never forwarded to moto."""

    def __init__(self, lab):
        self.lab = lab
        self.routes = {
            ("GET", "/_lab/health"): lambda request: {"ok": True},
            ("GET", "/_lab/requests"): lambda request: self.lab.log.entries(),
            ("GET", "/_lab/counts"): lambda request: self.lab.log.counts(),
            ("POST", "/_lab/requests/clear"): self._clear,
            ("POST", "/_lab/reset"): self._reset,
            ("GET", "/_lab/config"): lambda request: self.lab.config.snapshot(),
            ("POST", "/_lab/config"): self._configure,
            ("POST", "/_lab/guardduty/findings"): self._plant_guardduty,
        }

    def __call__(self, environ, start_response):
        request = Request(environ)
        handler = self.routes.get((request.method, request.path.rstrip("/")))
        if handler is None:
            known = {path for _method, path in self.routes}
            status = 405 if request.path.rstrip("/") in known else 404
            response = _json({"ok": False, "error": f"no {request.method} {request.path}"}, status)
        else:
            try:
                response = _json(handler(request))
            except ValueError as error:
                response = _json({"ok": False, "error": str(error)}, 400)
        return response(environ, start_response)

    def _clear(self, request):
        del request
        self.lab.log.clear()
        return {"ok": True}

    def _reset(self, request):
        del request
        self.lab.reset()
        return {"ok": True}

    def _plant_guardduty(self, request):
        """Hold GuardDuty findings ({"findings": [finding, ...]}, GuardDuty wire JSON) for GetFindings."""
        try:
            findings = json.loads(request.get_data() or b"{}").get("findings")
        except (ValueError, AttributeError) as error:
            raise ValueError(f"body is not a JSON object: {error}") from error
        if not isinstance(findings, list):
            raise ValueError('body must be {"findings": [GuardDuty finding, ...]}')
        return {"planted": [self.lab.findings.guardduty.plant(f) for f in findings]}

    def _configure(self, request):
        try:
            update = json.loads(request.get_data() or b"{}")
        except ValueError as error:
            raise ValueError(f"config body is not JSON: {error}") from error
        self.lab.config.merge(update)
        return self.lab.config.snapshot()
