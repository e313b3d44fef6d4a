"""Build the lab's WSGI application (moto behind our middleware) and serve it on 127.0.0.1."""
import logging
import os
import signal

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from lab import corrections
from lab.control_client import HOST
from lab.middleware import LabMiddleware
from lab.state import LabState


def build_app(state):
    """moto's own server application, wrapped by the lab middleware."""
    corrections.install()
    return LabMiddleware(DomainDispatcherApplication(create_backend_app), state)


def make_lab_server(port, config=None):
    """A threaded werkzeug server bound to 127.0.0.1:port (0 picks a free port); returns (server, state)."""
    # One line per request on stderr would cost more than the request itself under a benchmark.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    state = LabState(config)
    # MotoRequestHandler keeps header spellings moto needs (S3 metadata keys with underscores).
    server = make_server(HOST, port, build_app(state), threaded=True, request_handler=MotoRequestHandler)
    state.ssm.lifecycle.endpoint_url = f"http://{HOST}:{server.server_port}"
    return server, state


def serve(port, config):
    """Serve in the foreground until SIGTERM or Ctrl-C; prints one 'lab ready' line on stdout once listening."""
    server, state = make_lab_server(port, config)

    def stop_serving(signum, frame):
        del signum, frame
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_serving)
    print(f"lab ready: http://{HOST}:{server.server_port} (pid {os.getpid()})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        state.close()
        server.server_close()
