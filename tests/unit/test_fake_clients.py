"""The unit fakes refuse what botocore refuses before it sends anything: a parameter name or type the service model does not know."""

import boto3
import pytest
from botocore.exceptions import ParamValidationError

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture import run_command

COMMAND_ID = "0b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def real_error(service, method, **params):
    """The error a real botocore client raises for these parameters (validation happens before any request is made)."""
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing",
                          endpoint_url="http://127.0.0.1:9")
    with pytest.raises(ParamValidationError) as raised:
        getattr(client, method)(**params)
    return str(raised.value)


@pytest.mark.parametrize("service, method, params, message", [
    ("ssm", "list_command_invocations", {"CommandId": COMMAND_ID, "Detail": True}, 'Unknown parameter in input: "Detail"'),
    ("ssm", "send_command", {"InstanceIds": ["i-1"], "DocumentName": "AWS-RunShellScript", "TimeoutSeconds": "600"},
     "Invalid type for parameter TimeoutSeconds"),
    ("ec2", "create_snapshots", {"InstanceSpecification": {"InstanceID": "i-1"}}, 'Unknown parameter in InstanceSpecification: "InstanceID"'),
])
def test_a_misspelt_or_mistyped_parameter_fails_as_a_real_client_fails_it(fake_client, service, method, params, message):
    fake = fake_client(**{method: {}})
    assert fake.service == service
    with pytest.raises(ParamValidationError) as raised:
        getattr(fake, method)(**params)
    assert message in str(raised.value)
    assert str(raised.value) == real_error(service, method, **params)


def test_a_product_call_with_a_misspelt_parameter_is_recorded_as_refused_before_sending(fake_client):
    log = ActionLog("volatile_capture", False)
    ssm = fake_client(send_command={"Command": {"CommandId": COMMAND_ID}})
    with pytest.raises(ParamValidationError):
        log.call(ssm, "ssm", "SendCommand", "AWS-RunShellScript", {"InstanceIds": ["i-1"], "DocumentName": "AWS-RunShellScript",
                                                                   "OutputS3Bucket": "evidence"})
    assert [(r["outcome"], r["error_code"]) for r in log.records] == [("error", "ParamValidationError")]
    # What the module sends itself passes the same check.
    sent = run_command.send(log, ssm, ["i-1"], "AWS-RunShellScript", ["id"], "aws-ir INC-1 triage", {"bucket": "evidence", "prefix": "INC-1"},
                            {"delivery": 600, "execution": 900})
    assert sent == {"i-1": COMMAND_ID}


def test_a_fake_whose_methods_belong_to_several_services_must_name_its_own(fake_client):
    with pytest.raises(AssertionError, match=r"is a client of \['securityhub', 'guardduty'\]: name it"):
        fake_client(get_findings={})
    assert fake_client(service="guardduty", get_findings={}).service == "guardduty"
