"""The sample findings (tests/fixtures/findings, written from the GuardDuty finding format and the ASFF syntax)."""

import json
import pathlib

import pytest

FIXTURES = pathlib.Path(__file__).parents[4] / "fixtures" / "findings"


@pytest.fixture
def sample():
    """sample(name): the parsed JSON of tests/fixtures/findings/<name>."""
    return lambda name: json.loads((FIXTURES / name).read_text())
