"""Fixtures of the integration tests: a lab server for the session and a fresh demo estate per test."""

import pytest

from lab.scene import build_demo_scene
from tests.integration.responder_calls import ModuleCalls
from tests.integration.responder_calls import RecordingLab
from tests.integration.support import REGION
from tests.integration.support import REPO
from tests.integration.support import TICKET

# Every AWS call the modules made during the session, for the responder policy check (and for people).
RESPONDER_CALLS = REPO / "tests" / "output" / "responder-calls.json"


def pytest_configure(config):
    config.addinivalue_line("markers", "after_integration: runs after every other test, because it reads what they recorded")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("after_integration") is not None)


@pytest.fixture(scope="session")
def module_calls():
    """Every call the modules made in the session's labs (see responder_calls.py)."""
    return ModuleCalls(RESPONDER_CALLS)


@pytest.fixture(scope="session")
def lab(module_calls):
    """The session's lab; it keeps the modules' calls across resets."""
    with RecordingLab(module_calls) as running:
        yield running


@pytest.fixture
def demo(lab):
    """A fresh demo estate (see lab/scene.py) with an empty request log."""
    lab.reset()
    scene = build_demo_scene(lab.endpoint_url, region=REGION, ticket=TICKET)
    lab.clear_requests()
    return scene
