"""Fakes shared by the unit tests: boto3-like clients that answer from scripts, never the network."""

import pytest
from botocore.exceptions import ClientError


def client_error(code, operation="Call", request_id="req-err"):
    """A ClientError as botocore raises it for an AWS error code."""
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"RequestId": request_id}}, operation)


class _Paginator:
    def __init__(self, client, name):
        self.client, self.name = client, name

    def paginate(self, **params):
        answer = self.client.answer(self.name, params)
        return type("Pages", (), {"build_full_result": staticmethod(lambda: answer)})


class FakeClient:
    """Answers each boto3 method from `answers[name]`: a value, a list of successive values, or a callable(params).

    Every call is kept in `calls` as (name, params); an answer that is an exception is raised.
    """

    def __init__(self, **answers):
        self.answers = answers
        self.calls = []

    def answer(self, name, params):
        self.calls.append((name, params))
        value = self.answers[name]
        if isinstance(value, list):
            value = value.pop(0) if len(value) > 1 else value[0]
        if callable(value):
            value = value(params)
        if isinstance(value, Exception):
            raise value
        return value

    def get_paginator(self, name):
        return _Paginator(self, name)

    def __getattr__(self, name):
        if name.startswith("_") or name not in self.answers:
            raise AttributeError(name)

        def method(aws_retry=False, **params):  # pylint: disable=unused-argument
            return self.answer(name, params)
        method.__name__ = name  # as botocore names a client's methods, which retry.per_operation reads
        return method

    def names(self):
        return [name for name, _params in self.calls]


@pytest.fixture
def fake_client():
    return FakeClient


@pytest.fixture
def aws_error():
    return client_error


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it; keeps every sleep."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return FakeClock()
