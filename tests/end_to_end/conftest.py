"""Fixtures of the integration tests: a lab server for the session and a fresh demo estate per test."""

import pytest

from lab.scene import build_demo_scene, build_multi_vpc_scene, build_spot_scene
from tests.end_to_end.responder_calls import ModuleCalls
from tests.end_to_end.responder_calls import RecordingLab
from tests.end_to_end.support import REGION
from tests.end_to_end.support import aws
from tests.end_to_end.support import REPO
from tests.end_to_end.support import TICKET

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


@pytest.fixture(scope="session")
def local_lab(module_calls):
    """A lab whose AWS-RunShellScript commands really run on this machine (the memory path needs real uploads)."""
    ssm = {"invocation_absent_seconds": 0.1, "pending_seconds": 0.1, "in_progress_seconds": 0.1}
    with RecordingLab(module_calls, execute_locally=True, ssm=ssm) as running:
        yield running


def fresh_demo(running):
    """A fresh demo estate (see lab/scene.py) in a lab, with an empty request log."""
    running.reset()
    scene = build_demo_scene(running.endpoint_url, region=REGION, ticket=TICKET)
    running.clear_requests()
    return scene


@pytest.fixture
def local_demo(local_lab):
    return fresh_demo(local_lab)


@pytest.fixture
def demo(lab):
    """A fresh demo estate (see lab/scene.py) with an empty request log."""
    return fresh_demo(lab)


@pytest.fixture
def demo_before_any_case(lab):
    """The demo estate before anyone opened a case, as a finding first names its instances: no IncidentTicket tag yet
    (an instance already under another ticket is refused, test_ticket_identity.py)."""
    scene = fresh_demo(lab)
    aws(lab, "ec2").delete_tags(Resources=scene["instance_ids"], Tags=[{"Key": "IncidentTicket"}])
    lab.clear_requests()
    return scene


@pytest.fixture
def multi_vpc(lab):
    """A fresh multi-VPC estate (see lab/scene.py build_multi_vpc_scene) with an empty request log."""
    lab.reset()
    return build_multi_vpc_scene(lab.endpoint_url, region=REGION, ticket=TICKET)


@pytest.fixture
def spot(lab):
    """A fresh Spot instance alone in its Auto Scaling group (min = desired = 1), with an empty request log."""
    lab.reset()
    return build_spot_scene(lab.endpoint_url, region=REGION, ticket=TICKET)
