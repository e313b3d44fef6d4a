"""Fixtures of the integration tests: a lab server for the session and a fresh demo estate per test."""

import pytest

from lab import Lab
from lab.scene import build_demo_scene, build_multi_vpc_scene, build_spot_scene
from tests.integration.support import REGION
from tests.integration.support import TICKET


@pytest.fixture(scope="session")
def lab():
    with Lab() as running:
        yield running


@pytest.fixture(scope="session")
def local_lab():
    """A lab whose AWS-RunShellScript commands really run on this machine (the memory path needs real uploads)."""
    with Lab(execute_locally=True, ssm={"invocation_absent_seconds": 0.1, "pending_seconds": 0.1, "in_progress_seconds": 0.1}) as running:
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
def multi_vpc(lab):
    """A fresh multi-VPC estate (see lab/scene.py build_multi_vpc_scene) with an empty request log."""
    lab.reset()
    return build_multi_vpc_scene(lab.endpoint_url, region=REGION, ticket=TICKET)


@pytest.fixture
def spot(lab):
    """A fresh Spot instance alone in its Auto Scaling group (min = desired = 1), with an empty request log."""
    lab.reset()
    return build_spot_scene(lab.endpoint_url, region=REGION, ticket=TICKET)
