"""Fixtures of the integration tests: a lab server for the session and a fresh demo estate per test."""

import pytest

from lab import Lab
from lab.scene import build_demo_scene
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
