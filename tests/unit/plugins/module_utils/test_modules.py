"""AwsIrModule's clients: AnsibleAWSModule's connection options, from one boto3 session per module."""
import re
from pathlib import Path
from unittest import mock

import boto3
from botocore.config import Config
from ansible.module_utils.testing import patch_module_args

from ansible_collections.amazon.aws.plugins.module_utils.botocore import boto3_conn
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import DEFAULT_RETRY

PLUGINS = Path(__file__).resolve().parents[4] / "plugins"
CONNECTION = {"region": "eu-west-1", "endpoint_url": "http://127.0.0.1:1", "access_key": "lab-unit-access-key", "secret_key": "not-a-secret"}


def a_module(**params):
    with patch_module_args(dict(CONNECTION, **params)):
        return AwsIrModule(stage="containment", argument_spec={})


def test_clients_keep_the_connection_options_and_their_own_extra_parameters():
    module = a_module()
    ec2, s3, kms = module.client("ec2"), module.client("s3", config={"signature_version": "s3v4"}), module.client("kms", region="us-west-2")
    assert (ec2.client.meta.region_name, ec2.client.meta.endpoint_url) == ("eu-west-1", "http://127.0.0.1:1")
    assert kms.client.meta.region_name == "us-west-2"
    assert s3.client.meta.config.signature_version == "s3v4"
    assert "secops.aws_ir/1.0.0" in ec2.client.meta.config.user_agent
    credentials = ec2.client._request_signer._credentials  # pylint: disable=protected-access
    assert credentials.access_key == CONNECTION["access_key"]


def test_clients_send_the_user_agent_amazon_aws_public_connection_sends():
    module = a_module()
    expected = boto3_conn(module, conn_type="client", resource="ec2", region="eu-west-1", endpoint="http://127.0.0.1:1")
    assert module.client("ec2").client.meta.config.user_agent == expected.meta.config.user_agent
    config = module.client("s3", aws_config=Config(signature_version="s3v4", connect_timeout=7)).client.meta.config
    assert (config.signature_version, config.connect_timeout, config.user_agent) == ("s3v4", 7, expected.meta.config.user_agent)


def test_no_plugin_imports_a_private_name_of_amazon_aws():
    # amazon.aws may change its _private helpers in any release (amazon.aws 10 and 11 are both supported).
    private = re.compile(r"from ansible_collections\.amazon\.aws\.\S+ import _")
    offenders = [str(p) for p in PLUGINS.rglob("*.py") if private.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_every_client_of_a_module_comes_from_one_session():
    module = a_module()
    with mock.patch.object(boto3.session, "Session", wraps=boto3.session.Session) as sessions:
        for service in ("ec2", "autoscaling", "elb", "elbv2", "iam"):
            module.client(service)
    assert sessions.call_count == 1


def test_clients_back_off_on_throttling_with_the_collection_s_policy_unless_given_another():
    module = a_module()
    other = object()
    assert module.client("ec2").retry is DEFAULT_RETRY and module.client("ec2", retry_decorator=other).retry is other


def test_the_module_s_session_is_the_one_its_clients_come_from():
    # What else reads botocore's data (the preflight's Region check) asks this session: botocore loads each file once per session.
    module = a_module()
    with mock.patch.object(boto3.session, "Session", wraps=boto3.session.Session) as sessions:
        session = module.session(module.params.get("profile"))
        module.client("ec2")
        assert module.session(module.params.get("profile")) is session
    assert sessions.call_count == 1


def test_botocore_makes_one_attempt_per_call_whatever_the_environment_says(monkeypatch):
    # retry.py is the only retry layer: botocore's standard mode would repeat a 5xx or a timeout of a create without a client token.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "5")
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    module = a_module()
    for client in (module.client("ec2"), module.client("s3", config={"signature_version": "s3v4"})):
        assert client.client.meta.config.retries == {"mode": "legacy", "total_max_attempts": 1}
