"""Bad input stops respond.yml before any change, with an error naming the field and the value; a stopped instance does not.

Every case runs the playbook against one demo estate and checks the lab's request log: not one mutating call, and
nothing written to the evidence bucket.
"""

import pytest

from tests.end_to_end.conftest import fresh_demo
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import first_failure
from tests.end_to_end.support import mutating
from tests.end_to_end.support import role_task
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import task_result

UNKNOWN_ID = "i-0123456789abcdef0"
UNKNOWN_GROUP = "sg-0123456789abcdef0"
OTHER_REGION_BUCKET = "evidence-in-eu-west-1"
TOOLS_BUCKET = "ir-tools-123456789012"
SHA256 = "0" * 64


@pytest.fixture(scope="module")
def estate(lab):
    """The demo estate, plus a terminated instance, a versioned bucket in another Region and a tools bucket without the tool."""
    scene = fresh_demo(lab)
    ec2 = aws(lab, "ec2")
    image_id = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    terminated = ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[terminated])
    europe = aws(lab, "s3")
    europe.create_bucket(Bucket=OTHER_REGION_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    europe.put_bucket_versioning(Bucket=OTHER_REGION_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    europe.create_bucket(Bucket=TOOLS_BUCKET)
    return dict(scene, terminated_instance_id=terminated)


# The lab's only account (lab/README.md): messages say where they looked.
ACCOUNT = "123456789012"
PREFLIGHT = "secops.aws_ir.preflight : Check ticket, targets, evidence bucket, credentials and SSM reachability"
CONTAIN = "secops.aws_ir.containment : Protect, take out of service and isolate the instances"
# (case, extra variables, the task that refuses, its message); <compromised> and <terminated> stand for those instances' ids.
CASES = [
    ("malformed instance id", {"instance_ids": ["i-12345"]}, PREFLIGHT,
     "instance_ids: 'i-12345' is not an EC2 instance id (i- followed by 8 or 17 hexadecimal digits)"),
    ("repeated instance id", {"instance_ids": ["<compromised>", "<compromised>"]}, PREFLIGHT,
     "instance_ids: '<compromised>' is listed twice"),
    ("unknown instance id", {"instance_ids": [UNKNOWN_ID]}, PREFLIGHT, f"instance_ids: {UNKNOWN_ID} not found in account {ACCOUNT}, Region us-east-1"),
    ("terminated instance", {"instance_ids": ["<terminated>"]}, PREFLIGHT,
     "instance_ids: <terminated> (terminated) cannot be responded to: the instance is gone or going"),
    ("empty ticket", {"ticket": ""}, PREFLIGHT, "ticket is required and must not be empty (got '')"),
    ("over-long ticket", {"ticket": "INC-" + "1" * 61}, PREFLIGHT,
     "ticket 'INC-" + "1" * 61 + "' is 65 characters long; at most 64 are allowed"),
    ("ticket with characters tags refuse", {"ticket": "INC-1;reboot"}, PREFLIGHT,
     "ticket 'INC-1;reboot' holds ';' (U+003B SEMICOLON) at position 6: a ticket holds only ASCII letters, digits, spaces inside, "
     "and _ . : / = + - @ (characters AWS accepts in tag values; look-alikes are refused)"),
    # Look-alikes (issue 13, case 6): a Cyrillic capital I became case NC-123456, full-width digits vanished (case INC).
    ("ticket with a Cyrillic letter", {"ticket": "\u0406NC-123456", "ticket_pattern": ".+"}, PREFLIGHT,
     "ticket '\u0406NC-123456' holds '\u0406' (U+0406 CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I) at position 1: a ticket holds only "
     "ASCII letters, digits, spaces inside, and _ . : / = + - @ (characters AWS accepts in tag values; look-alikes are refused)"),
    ("ticket with full-width digits", {"ticket": "INC-\uff11\uff12\uff13\uff14\uff15\uff16", "ticket_pattern": ".+"}, PREFLIGHT,
     "ticket 'INC-\uff11\uff12\uff13\uff14\uff15\uff16' holds '\uff11' (U+FF11 FULLWIDTH DIGIT ONE) at position 5: a ticket holds only "
     "ASCII letters, digits, spaces inside, and _ . : / = + - @ (characters AWS accepts in tag values; look-alikes are refused)"),
    ("ticket not shaped like the pattern", {"ticket": "incident 42"}, PREFLIGHT,
     "ticket 'incident 42' does not match the ticket pattern '^[A-Za-z][A-Za-z0-9]*-[0-9]+$': give a ticket id shaped like it, like INC-123456"),
    ("ticket not shaped like a pattern of one's own", {"ticket": TICKET, "ticket_pattern": "^SEC-[0-9]{4}$"}, PREFLIGHT,
     f"ticket '{TICKET}' does not match the ticket pattern '^SEC-[0-9]{{4}}$': give a ticket id shaped like it (ticket_pattern)"),
    ("no instance tagged with the ticket", {"ticket": "INC-999"}, PREFLIGHT,
     f"no instance tagged IncidentTicket=INC-999 found in account {ACCOUNT}, Region us-east-1: tag the instance or give instance_ids"),
    ("evidence bucket that does not exist", {"evidence_bucket": "no-such-evidence"}, PREFLIGHT,
     f"evidence bucket 'no-such-evidence' does not exist (looked for with the credentials of account {ACCOUNT}, Region us-east-1)"),
    # The preflight makes its reads side by side (issue 19): with two faults, the error is still the one the reads made
    # one after another would stop at (targets, then bucket, then signing key).
    ("unknown instance id and evidence bucket that does not exist", {"instance_ids": [UNKNOWN_ID], "evidence_bucket": "no-such-evidence"},
     PREFLIGHT, f"instance_ids: {UNKNOWN_ID} not found in account {ACCOUNT}, Region us-east-1"),
    ("evidence bucket that does not exist and unknown signing key", {"evidence_bucket": "no-such-evidence", "manifest_signing_key": "alias/no-such-key"},
     PREFLIGHT, f"evidence bucket 'no-such-evidence' does not exist (looked for with the credentials of account {ACCOUNT}, Region us-east-1)"),
    ("evidence bucket in another Region", {"evidence_bucket": OTHER_REGION_BUCKET}, PREFLIGHT,
     f"evidence bucket '{OTHER_REGION_BUCKET}' is in eu-west-1, not in us-east-1: use a bucket in the Region of the instances"),
    ("unknown Region", {"aws_region": "us-nowhere-1"}, PREFLIGHT, "region 'us-nowhere-1' is not a known AWS Region"),
    ("quarantine group that does not exist", {"quarantine_group_ids": [UNKNOWN_GROUP]}, CONTAIN,
     f"quarantine_group_ids: {UNKNOWN_GROUP} not found in account {ACCOUNT}, Region us-east-1"),
    ("forensic instance profile that does not exist", {"credentials_containment": "instance_profile", "forensic_instance_profile": "no-such-profile"},
     CONTAIN, f"forensic_instance_profile: instance profile 'no-such-profile' not found in account {ACCOUNT} (IAM is global)"),
    ("unknown credentials containment", {"credentials_containment": "revoke"}, "Check the variables of the response",
     "Validation of arguments failed:\nvalue of credentials_containment must be one of: none, instance_profile, deny_policy, got: revoke"),
    ("memory without volatile capture", {"memory": True, "capture_volatile": False}, "Refuse a memory image without volatile capture",
     "memory is true but capture_volatile is false: the memory image is taken by the volatile capture; set capture_volatile=true or memory=false"),
    ("instance profile containment without a profile", {"credentials_containment": "instance_profile"},
     "Refuse credentials containment by instance profile without a profile",
     "credentials_containment is instance_profile but forensic_instance_profile is empty: name the instance profile to associate"),
    ("a forensic profile with deny-policy containment", {"credentials_containment": "deny_policy", "forensic_instance_profile": "forensic"},
     "Refuse a forensic instance profile that would not be used",
     'forensic_instance_profile "forensic" is only used with credentials_containment=instance_profile (credentials_containment is deny_policy): '
     "set credentials_containment=instance_profile or leave forensic_instance_profile empty"),
    ("memory without tools", {"memory": True}, "Check the memory tools before any change",
     "memory is true but memory_tools names no tool (memory_tools.linux or memory_tools.windows)"),
    ("memory tool that is not there", {"memory": True, "memory_tools": {"linux": {"s3_uri": f"s3://{TOOLS_BUCKET}/avml", "sha256": SHA256}}},
     "Check the memory tools before any change", f"memory_tools.linux.s3_uri 's3://{TOOLS_BUCKET}/avml' cannot be read (404)"),
    ("copy without a key", {"copy_to": {"region": "eu-west-1"}}, "Check the forensic copy destination before any change",
     "missing required arguments: kms_key_id found in copy_to"),
]


def fill(value, estate):
    """value with <compromised> and <terminated> replaced by those instances' ids."""
    if isinstance(value, list):
        return [fill(v, estate) for v in value]
    if isinstance(value, str):
        return value.replace("<compromised>", estate["compromised_instance_id"]).replace("<terminated>", estate["terminated_instance_id"])
    return value


@pytest.mark.parametrize("case, variables, task, message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_before_any_change_naming_the_field_and_the_value(lab, estate, case, variables, task, message):
    del case
    lab.clear_requests()
    code, output = run_playbook(lab, "respond.yml", extra_vars=dict({"ticket": TICKET}, **{k: fill(v, estate) for k, v in variables.items()}))
    assert code != 0
    assert first_failure(output) == (task, fill(message, estate))
    final = task_result(output, "Fail the run when a stage failed")
    if final is not None:
        # The error is printed once, by the task that failed; the last line says where the run stopped and what next.
        assert fill(message, estate) not in final["msg"]
        assert f'(task "{task.split(" : ")[-1]}"; its error is printed above). Nothing was changed.' in final["msg"]
    assert mutating(lab.requests()) == []
    # Nothing but the ticket's lease, which containment's own refusals find taken and released (docs/docsite/rst/guide_respond.rst, "Failing safe").
    versions = aws(lab, "s3").list_object_versions(Bucket=estate["bucket"]).get("Versions", [])
    assert [v["Key"] for v in versions if v["Key"] != f"{TICKET}/lease.json"] == []


def test_credentials_sts_refuses_stop_the_run_before_any_change(lab, estate):
    lab.clear_requests()
    lab.configure(faults=[{"service": "sts", "action": "GetCallerIdentity", "code": "InvalidClientTokenId", "status": 403,
                           "message": "The security token included in the request is invalid."}])
    code, output = run_playbook(lab, "respond.yml")
    requests = lab.requests()
    lab.configure(faults=[])
    assert code != 0
    assert first_failure(output) == (PREFLIGHT, "the AWS credentials were refused by STS GetCallerIdentity: An error occurred (InvalidClientTokenId) "
                                                "when calling the GetCallerIdentity operation: The security token included in the request is invalid.")
    assert mutating(requests) == [] and [r["action"] for r in requests] == ["GetCallerIdentity"]


def test_a_release_with_nothing_recorded_anywhere_is_refused_before_any_change(lab, estate):
    # No manifest and no original-state tags (never contained): nothing says what to restore, and nothing is written.
    lab.clear_requests()
    code, output = run_playbook(lab, "release.yml")
    assert code != 0
    instance_id = estate["compromised_instance_id"]
    assert first_failure(output) == (
        "secops.aws_ir.release : Restore the instances to the state recorded before containment",
        f"recorded_state: no state recorded for {instance_id}: neither the evidence manifest (state_before) nor the instance's "
        "original-state tags (AwsIr:Original*) hold one; there is nothing to restore it to")
    assert "Nothing was changed." in task_result(output, "Fail the run when the release failed")["msg"]
    assert mutating(lab.requests()) == []


def test_a_stopped_instance_is_contained_and_snapshotted_and_its_volatile_capture_reported_impossible(lab):
    scene = fresh_demo(lab)
    instance_id = scene["compromised_instance_id"]
    ec2 = aws(lab, "ec2")
    ec2.stop_instances(InstanceIds=[instance_id])
    code, output = run_playbook(lab, "respond.yml")
    assert code == 0
    impossible = "impossible: the instance is stopped, its memory is gone or frozen"
    preflight = role_task(output, "preflight", "Check ticket, targets, evidence bucket, credentials and SSM reachability")
    assert [i["volatile_capture"] for i in preflight["instances"]] == [impossible]
    assert f"{instance_id}: volatile capture {impossible}" in preflight["warnings"]

    # Contained: protected and every interface in the quarantine group; snapshotted: every volume; no command sent.
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert instance["State"]["Name"] == "stopped"
    assert ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="disableApiTermination")["DisableApiTermination"]["Value"] is True
    groups = ec2.describe_security_groups(GroupIds=[g["GroupId"] for eni in instance["NetworkInterfaces"] for g in eni["Groups"]])["SecurityGroups"]
    assert {g["GroupName"] for g in groups} == {"aws-ir-quarantine"}
    snapshots = ec2.describe_snapshots(Filters=[{"Name": "tag:IncidentTicket", "Values": [TICKET]}])["Snapshots"]
    assert sorted(s["VolumeId"] for s in snapshots) == sorted(scene["volume_ids"][instance_id])
    assert aws(lab, "ssm").list_commands(InstanceId=instance_id)["Commands"] == []

    record = manifest_versions(lab, scene["bucket"])[0]["manifest"]["instances"][instance_id]
    assert record["outcome"]["volatile_capture"] == {"status": "not_running", "state": "stopped", "ping_status": "ConnectionLost", "detail": impossible}
    assert record["outcome"]["snapshot"]["status"] == "snapshotted" and record["artifacts"] == []
