"""The WSGI middleware in front of moto: control API, request log, injected errors, SSM and findings emulators."""
import logging
import time
from http import HTTPStatus

from lab import corrections
from lab.control import ControlApi
from lab.findings import FindingsError
from lab.identify import identify
from lab.ssm.errors import SsmError
from lab.wire import error_code_of, error_response, json_response, with_request_id

CONTROL_PREFIX = "/_lab/"
MOTO_API_PREFIX = "/moto-api"  # moto's own dashboard and reset: passed through, not an AWS request
LOG = logging.getLogger(__name__)


def _status_line(status):
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class LabMiddleware:
    """Route every request: /_lab/ to the control API, SSM Run Command to the emulator, the rest to moto."""

    def __init__(self, moto_app, lab):
        self.moto_app = moto_app
        self.lab = lab
        self.control = ControlApi(lab)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self.control(environ, start_response)
        if path.startswith(MOTO_API_PREFIX):
            return self.moto_app(environ, start_response)
        started = time.time()
        call = identify(environ)
        injected = self.lab.config.injected_error(call)
        if injected:
            code, status, message = injected
            status, headers, body = error_response(call.protocol, code, message, status, call.method)
        else:
            status, headers, body = self._guarded_answer(call, environ)
            code = error_code_of(status, body)
        self.lab.log.record(call, started, time.time(), status, code)
        start_response(_status_line(status), headers)
        return [body]

    def _guarded_answer(self, call, environ):
        """_answer, with a crash inside moto turned into an AWS InternalError (logged) instead of an HTML page."""
        try:
            return self._answer(call, environ)
        except Exception:  # pylint: disable=broad-exception-caught  # whatever moto raised, the client gets an AWS error
            LOG.exception("%s %s failed inside the lab", call.service, call.action)
            return error_response(call.protocol, "InternalError", "The lab failed to answer this request (see its log).", 500, call.method)

    def _answer(self, call, environ):
        """(status, headers, body) for an AWS request that is not failed on purpose."""
        if call.service == "ssm" and self.lab.ssm.handles(call.action):
            return self._ssm(call)
        if self.lab.findings.handles(call):
            return self._findings(call)
        corrected = corrections.before(call)
        if corrected:
            return corrected
        with corrections.atomic(call):
            answer = with_request_id(self._moto(environ))
        corrections.after(call, answer[0])
        return answer

    def _ssm(self, call):
        try:
            return json_response(self.lab.ssm.dispatch(call))
        except SsmError as error:
            return error_response("json", error.code, error.message, 400)

    def _findings(self, call):
        try:
            return json_response(self.lab.findings.dispatch(call), content_type="application/json")
        except FindingsError as error:
            return error_response("rest-json", error.code, error.message, error.status)

    def _moto(self, environ):
        captured = {}

        def capture(status_line, headers, exc_info=None):
            del exc_info  # moto raises before start_response when it fails; werkzeug reports it
            captured["status"], captured["headers"] = status_line, headers

        chunks = self.moto_app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        # Headers pass unchanged: a HEAD answer's Content-Length is the object's size, not the body's.
        return int(captured["status"].split(" ", 1)[0]), captured["headers"], body
