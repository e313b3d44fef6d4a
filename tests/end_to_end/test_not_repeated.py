"""A create that takes no client token is never repeated on an answer that does not say AWS did not act.

A server error (5xx) may come after AWS acted: CreateSnapshots, CreateSecurityGroup and SendCommand take no client token,
so a repeat would make a second set of snapshots, a second group attempt, a second command on the instance. The lab's fault
answers the first request with a 500 (and forwards nothing); a second request would succeed, so only the request log tells
whether the call was repeated, by botocore (standard mode: 3 attempts) or by the collection's retries (AWSRetry retries
InternalError). The module fails, and its record says the change may have happened.
"""

import pytest

from tests.end_to_end.support import TICKET
from tests.end_to_end.support import run_module

CASES = [
    ("forensic_snapshot", "ec2", "CreateSnapshots", lambda demo: {}),
    ("ec2_quarantine", "ec2", "CreateSecurityGroup", lambda demo: {}),
    ("ssm_volatile_capture", "ssm", "SendCommand", lambda demo: {"bucket": demo["bucket"]}),
]


@pytest.mark.parametrize("module, service, action, options", CASES, ids=[c[2] for c in CASES])
def test_a_create_answered_500_is_sent_once_and_recorded_as_a_change_that_may_have_happened(lab, demo, module, service, action, options):
    lab.configure(faults=[{"service": service, "action": action, "code": "InternalError", "status": 500, "count": 1}])
    try:
        result = run_module(lab, module, dict(instance_ids=[demo["compromised_instance_id"]], ticket=TICKET, **options(demo)))
    finally:
        lab.configure(faults=[])
    assert [(r["action"], r["status"]) for r in lab.requests() if r["action"] == action] == [(action, 500)]
    assert result.get("failed") is True
    assert f"({action} was not repeated: AWS may or may not have acted on it" in result["msg"]
    [record] = [a for a in result["actions"] if a["action"] == action]
    assert (record["outcome"], record["error_code"], record["may_have_changed"]) == ("error", "InternalError", True)
