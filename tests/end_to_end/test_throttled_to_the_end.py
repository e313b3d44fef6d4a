"""A call still throttled after every retry is reported as throttled (issue 13, case 8), never as refused credentials.

Each throttling code docs/docsite/rst/guide_respond.rst lists ("Failing safe"), on a call of the preflight, until the collection's retry policy (12 attempts,
plugins/module_utils/retry.py) is spent: the run stops before any change, and its message names the API, the code, the
account and Region, and the number of attempts the lab's request log counts.
"""

import pytest

from tests.end_to_end.conftest import fresh_demo
from tests.end_to_end.support import REGION
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import task_result

PREFLIGHT = "secops.aws_ir.preflight : Check ticket, targets, evidence bucket, credentials and SSM reachability"
ACCOUNT = "123456789012"  # the lab's (moto's) account
NOT_YET = "the account of these credentials (not yet identified)"


def throttled_message(action, code, where):
    return (f"preflight could not read the account: AWS throttled {action} ({code}) in {where}, Region {REGION}, 12 attempts in a row "
            "(the collection's retry policy): the request rate of this API is exhausted, the credentials were not refused; "
            "a throttled request changes nothing. Run again when fewer requests are made, or ask AWS for a higher rate")


def run_throttled(lab, env):
    code, output = run_playbook(lab, "respond.yml", env=env)
    requests = lab.requests()
    lab.configure(throttle={"fraction": 0.0}, faults=[])
    assert code != 0
    return task_result(output, PREFLIGHT)["msg"], requests


def test_at_80_percent_throttling_get_caller_identity_is_reported_as_throttled_not_as_refused(lab):
    fresh_demo(lab)
    # Seed 7: the lab's first 12 draws (random.Random(7)) are all below 0.8, so GetCallerIdentity, the run's first request,
    # is throttled at each of its 12 attempts, as in the report (botocore makes one attempt per call).
    lab.configure(throttle={"fraction": 0.8, "seed": 7})
    message, requests = run_throttled(lab, {})
    assert [(r["action"], r["error_code"]) for r in requests] == [("GetCallerIdentity", "Throttling")] * 12
    assert message == throttled_message("GetCallerIdentity", "Throttling", NOT_YET)
    assert "refused by STS" not in message


# (service, API of the preflight, the code that service answers when it throttles, HTTP status): docs/docsite/rst/guide_respond.rst, "Failing safe".
# Each run spends the retry policy's jittered waits (about a minute), so the end-to-end runs cover the two wire shapes
# not covered above (EC2's query protocol, S3's REST XML); every code of the kind is unit-tested in test_retry.py.
KIND = [
    ("ec2", "DescribeInstances", "RequestLimitExceeded", 503, f"account {ACCOUNT}"),
    ("s3", "GetBucketVersioning", "SlowDown", 503, f"account {ACCOUNT}"),
]


@pytest.mark.parametrize("service, action, code, status, where", KIND, ids=[k[2] for k in KIND])
def test_each_throttling_code_spent_to_the_end_is_reported_as_throttled_with_api_where_and_attempts(lab, service, action, code, status, where):
    fresh_demo(lab)
    lab.configure(faults=[{"service": service, "action": action, "code": code, "status": status}])
    # A responder's AWS_MAX_ATTEMPTS does not bring botocore's retries back under the collection's: 12 requests, not 12 x 3.
    message, requests = run_throttled(lab, {"AWS_MAX_ATTEMPTS": "3"})
    throttled = [r for r in requests if r["action"] == action]
    assert len(throttled) == 12 and {r["error_code"] for r in throttled} == {code}
    assert message == throttled_message(action, code, where)
    assert mutating(requests) == []
