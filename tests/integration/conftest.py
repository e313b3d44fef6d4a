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
    return fresh_demo(lab)
