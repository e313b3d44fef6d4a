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


@pytest.fixture
def demo(lab):
    """A fresh demo estate (see lab/scene.py) with an empty request log."""
    lab.reset()
    scene = build_demo_scene(lab.endpoint_url, region=REGION, ticket=TICKET)
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
