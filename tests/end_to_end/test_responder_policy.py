"""The IAM policies shipped in docs/iam/: least privilege, and exactly what the modules call.

The responder policy is compared, both ways, with the IAM actions of every call Ansible modules
made in the lab during the integration tests (see responder_calls.py and iam_actions.py) in any
account but the forensic and the member one; the forensic role's policy with the calls made in the forensic
account (the lab logs the account each request acted in). The member-account role's policy allows every
call made in the member account and nothing the responder policy does not. That comparison runs after every
other test of the session.
"""

import fnmatch
import json
import re

import pytest

from tests.end_to_end.iam_actions import UnknownRequest
from tests.end_to_end.iam_actions import iam_actions
from tests.end_to_end.support import REPO

POLICIES = REPO / "docs" / "iam"
RESPONDER = POLICIES / "responder-policy.json"
INSTANCE_ROLE = POLICIES / "instance-role-policy.json"
FORENSIC_ROLE = POLICIES / "forensic-role-policy.json"
MEMBER_ROLE = POLICIES / "member-account-role-policy.json"
FORENSIC_ACCOUNT = "111122223333"  # the lab's forensic account (tests/end_to_end/test_forensic_account.py)
MEMBER_ACCOUNT = "444455556666"  # the lab's member account (tests/end_to_end/test_other_accounts.py)
ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")  # one action, no wildcard
READ_ONLY = re.compile(r"^[a-z0-9-]+:(Describe|List|Get)[A-Za-z0-9]*$")
EVIDENCE_BUCKET = "arn:aws:s3:::aws-ir-evidence-*"


def load(path):
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["Version"] == "2012-10-17"
    return document["Statement"]


def allowed_actions(statements):
    return {action for statement in statements for action in statement["Action"]}


@pytest.mark.parametrize("path", [RESPONDER, INSTANCE_ROLE, FORENSIC_ROLE, MEMBER_ROLE], ids=lambda p: p.name)
def test_every_statement_allows_named_actions_on_named_resources(path):
    statements = load(path)
    assert len({s["Sid"] for s in statements}) == len(statements), "each statement needs its own Sid"
    for statement in statements:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        assert all(ACTION.match(action) for action in statement["Action"]), statement["Sid"]
        assert statement["Action"] == sorted(statement["Action"]), f"{statement['Sid']}: keep actions sorted"
        if statement["Resource"] == "*":
            # Only reads may apply to every resource; most of them have no resource-level permissions.
            changing = [a for a in statement["Action"] if not READ_ONLY.match(a)]
            assert changing == [], f"{statement['Sid']}: actions that change something need narrowed resources"
        else:
            assert all(arn.startswith("arn:aws:") and arn != "arn:aws:*" for arn in statement["Resource"]), statement["Sid"]


@pytest.mark.parametrize("path", [RESPONDER, INSTANCE_ROLE, FORENSIC_ROLE, MEMBER_ROLE], ids=lambda p: p.name)
def test_s3_access_is_limited_to_the_evidence_buckets(path):
    for statement in load(path):
        if any(action.startswith("s3:") for action in statement["Action"]):
            assert all(arn.startswith(EVIDENCE_BUCKET) for arn in statement["Resource"]), statement["Sid"]


def test_the_instance_role_can_only_add_command_output():
    # A compromised instance must not read, delete or re-lock evidence: it may only upload its output
    # and read the memory acquisition plan the responder leaves for it (SecureString parameters).
    assert allowed_actions(load(INSTANCE_ROLE)) == {"s3:PutObject", "s3:PutObjectAcl", "s3:GetEncryptionConfiguration", "ssm:GetParameters"}
    plans = [s["Resource"] for s in load(INSTANCE_ROLE) if "ssm:GetParameters" in s["Action"]]
    assert plans == [["arn:aws:ssm:*:*:parameter/secops/aws_ir/*"]]
    uploads = [s for s in load(INSTANCE_ROLE) if "s3:PutObject" in s["Action"]]
    assert [s["Resource"] for s in uploads] == [[f"{EVIDENCE_BUCKET}/*/volatile/*"]]


def test_the_responder_runs_only_the_triage_documents():
    send = [s for s in load(RESPONDER) if "ssm:SendCommand" in s["Action"]]
    documents = sorted(arn for s in send for arn in s["Resource"] if ":document/" in arn)
    assert documents == ["arn:aws:ssm:*::document/AWS-RunPowerShellScript", "arn:aws:ssm:*::document/AWS-RunShellScript"]


def needed_actions(calls):
    """{IAM action: sorted "service Action" calls that need it}."""
    needed = {}
    for call in calls:
        for action in iam_actions(call):
            needed.setdefault(action, set()).add(f"{call['service']} {call['action']}")
    return {action: sorted(sources) for action, sources in needed.items()}


def difference_report(needed, allowed, path=RESPONDER):
    missing = sorted(set(needed) - allowed)
    extra = sorted(allowed - set(needed))
    lines = [f"missing from {path.relative_to(REPO)}: {a} (needed by {', '.join(needed[a])})" for a in missing]
    lines += [f"allowed by {path.relative_to(REPO)} but never needed: {a}" for a in extra]
    return lines


def needed_in(module_calls, accounts):
    """needed_actions of the module calls made in accounts (a predicate on the account id)."""
    calls = [c for c in module_calls.collect() if accounts(c.get("account"))]
    assert calls, ("no module call was recorded: this test compares the policy with the calls of the other "
                   "integration tests, so run it together with them (pytest tests/end_to_end)")
    try:
        return needed_actions(calls)
    except UnknownRequest as error:
        return pytest.fail(str(error))


def compare(module_calls, path, accounts):
    """Fail with the difference between the policy at path and the module calls made in accounts (a predicate on the account id)."""
    report = difference_report(needed_in(module_calls, accounts), allowed_actions(load(path)), path)
    assert report == [], "\n".join(report) + f"\n(the calls are in {module_calls.path})"


@pytest.mark.after_integration
def test_responder_policy_allows_exactly_what_the_modules_called(module_calls):
    compare(module_calls, RESPONDER, lambda account: account not in (FORENSIC_ACCOUNT, MEMBER_ACCOUNT))


@pytest.mark.after_integration
def test_forensic_role_policy_allows_exactly_what_the_modules_called_in_the_forensic_account(module_calls):
    compare(module_calls, FORENSIC_ROLE, lambda account: account == FORENSIC_ACCOUNT)


@pytest.mark.after_integration
def test_member_role_policy_allows_what_the_modules_called_in_a_member_account_and_nothing_the_responder_may_not(module_calls):
    # The member role does, in its own account, part of what the responder does in its own: containment, triage and snapshots of
    # its instances. The tests reach only part of that part (no Auto Scaling group or load balancer in the member estate), so the
    # comparison is: every call made there is allowed, and every action allowed is one the responder policy holds, which the
    # comparison above keeps to actions some test needed.
    needed = needed_in(module_calls, lambda account: account == MEMBER_ACCOUNT)
    allowed = allowed_actions(load(MEMBER_ROLE))
    missing = [line for line in difference_report(needed, allowed, MEMBER_ROLE) if line.startswith("missing")]
    assert missing == [], "\n".join(missing)
    assert sorted(allowed - allowed_actions(load(RESPONDER))) == []


def test_member_role_policy_cannot_touch_the_record():
    # The case's record (manifest, signatures, leases, forensic copies, Security Hub) is kept by the responder in its own account:
    # a member role, which an administrator of the compromised account can use too, writes none of it.
    writes = {"s3:PutObject", "s3:PutObjectRetention", "s3:AbortMultipartUpload", "kms:Sign", "sts:AssumeRole",
              "securityhub:BatchUpdateFindings", "ec2:CopySnapshot", "ec2:ModifySnapshotAttribute", "ec2:DeleteSnapshot", "ec2:LockSnapshot"}
    assert sorted(allowed_actions(load(MEMBER_ROLE)) & writes) == []


@pytest.mark.after_integration
def test_the_instance_role_may_write_every_output_location_the_modules_asked_for(module_calls):
    sends = [c["params"] for c in module_calls.collect()
             if (c["service"], c["action"]) == ("ssm", "SendCommand") and c["params"].get("OutputS3BucketName")]
    assert sends, "no SendCommand with S3 output was recorded: run this with the other integration tests"
    # The bucket part of the ARNs is the documented default name (tests also use other buckets); the
    # key part must allow what SSM writes: OutputS3KeyPrefix/<command id>/<instance id>/<plugin>/...
    keys = [arn.split(":::", 1)[1].split("/", 1)[1] for s in load(INSTANCE_ROLE) if "s3:PutObject" in s["Action"] for arn in s["Resource"]]
    outputs = {f"{p.get('OutputS3KeyPrefix', '').strip('/')}/command-id/i-id/stdout" for p in sends}
    refused = sorted(o for o in outputs if not any(fnmatch.fnmatchcase(o, key) for key in keys))
    assert refused == [], f"{INSTANCE_ROLE.relative_to(REPO)} does not let the instance role write {refused}"
