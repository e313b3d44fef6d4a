"""Fakes shared by the unit tests: boto3-like clients that answer from scripts, never the network.

A fake validates every call's parameters against botocore's service model, as a real client does before it sends
anything (botocore.validate), so a misspelt parameter name or a wrong type fails the test that makes the call.
"""

import functools

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

# The services the collection calls; a fake's service is the one of these whose operations include every method it answers.
SERVICES = ("ec2", "ssm", "s3", "autoscaling", "elb", "elbv2", "iam", "kms", "sts", "securityhub", "guardduty")


@functools.lru_cache(maxsize=None)
def _operations(service):
    """{boto3 method name: botocore OperationModel} of a service."""
    model = botocore.session.get_session().get_service_model(service)
    return {botocore.xform_name(name): model.operation_model(name) for name in model.operation_names}


def service_of(method_names):
    """The one service among SERVICES that has every one of the method names; an error when none or several have."""
    found = [service for service in SERVICES if set(method_names) <= set(_operations(service))]
    if len(found) != 1:
        raise AssertionError(f"a fake that answers {sorted(method_names)} is a client of {found or 'no service'}: name it, service=...")
    return found[0]


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

    Every call is kept in `calls` as (name, params); its parameters are first validated against the service model
    (ParamValidationError, as botocore raises it); an answer that is an exception is raised. service: the botocore
    service name, found from the answered methods when not given.
    """

    def __init__(self, service=None, **answers):
        self.answers = answers
        self.calls = []
        self.service = service or (service_of(answers) if answers else None)

    def validate(self, name, params):
        """Raise ParamValidationError when params do not fit the operation's input shape (what botocore checks before sending)."""
        if self.service is None:
            return
        operation = _operations(self.service).get(name)
        if operation is None:
            raise AssertionError(f"{self.service} has no operation {name}")
        if operation.input_shape is not None:
            validate_parameters(params, operation.input_shape)
        elif params:
            raise ParamValidationError(report=f"{name} takes no parameters, given {sorted(params)}")

    def answer(self, name, params):
        self.calls.append((name, params))
        self.validate(name, params)
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
