"""ssm_volatile_capture against the lab's SSM emulator: every way a command ends, read back independently."""

import hashlib

from tests.end_to_end.support import REPO
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import task_result

CAPTURE = str(REPO / "tests" / "end_to_end" / "playbooks" / "capture.yml")
# How each lab:command-status ends, as the SSM User Guide names the statuses.
COMMAND_STATUS = {
    "Failed": "failed",
    "Cancelled": "cancelled",
    "DeliveryTimedOut": "delivery_timed_out",
    "ExecutionTimedOut": "execution_timed_out",
    "Undeliverable": "undeliverable",
    "Terminated": "terminated",
}


def launch(lab, demo, tags, windows=False):
    ec2 = aws(lab, "ec2")
    filters = [{"Name": "platform", "Values": ["windows"]}] if windows else [{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}]
    image = sorted(i["ImageId"] for i in ec2.describe_images(Owners=["amazon"], Filters=filters)["Images"])[0]
    spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
    return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=demo["subnet_ids"][0],
                             TagSpecifications=spec)["Instances"][0]["InstanceId"]


def capture(lab, args):
    code, output = run_playbook(lab, CAPTURE, extra_vars={"capture_args": args})
    return code, task_result(output, "Capture")


def read_object(lab, artifact):
    return aws(lab, "s3").get_object(Bucket=artifact["bucket"], Key=artifact["key"], VersionId=artifact["version_id"])["Body"].read()


def test_every_status_has_its_own_outcome_and_the_evidence_is_what_s3_holds(lab, demo):
    ids = {"ok": demo["compromised_instance_id"]}
    ids.update({status: launch(lab, demo, {"lab:command-status": status}) for status in COMMAND_STATUS})
    ids["windows_timeout"] = launch(lab, demo, {"lab:command-status": "ExecutionTimedOut"}, windows=True)
    ids["windows"] = launch(lab, demo, {}, windows=True)
    ids["denied"] = launch(lab, demo, {"lab:s3-upload": "denied"})
    ids["big"] = launch(lab, demo, {"lab:stdout-bytes": "30000"})
    ids["no_lsof"] = launch(lab, demo, {"lab:missing-tools": "lsof"})
    for ping in ("ConnectionLost", "Inactive", "unmanaged"):
        ids[ping] = launch(lab, demo, {"lab:ssm": ping})

    code, result = capture(lab, {"instance_ids": list(ids.values()), "ticket": TICKET, "bucket": demo["bucket"]})
    assert code == 0, result.get("msg")
    by_name = {name: next(r for r in result["instances"] if r["instance_id"] == i) for name, i in ids.items()}
    status = {name: r["outcome"]["status"] for name, r in by_name.items()}
    ssm = aws(lab, "ssm")

    # Each terminal status its own outcome, with the likely cause and the codes.
    for tag, outcome in COMMAND_STATUS.items():
        assert status[tag] == outcome, (tag, by_name[tag]["outcome"])
        assert f"StatusDetails {tag}" in by_name[tag]["outcome"]["detail"]
    assert status["windows_timeout"] == "execution_timed_out"
    # The agent's code for a script it killed: 137 on Linux, -1 on Windows.
    for name, code_wanted in (("ExecutionTimedOut", 137), ("windows_timeout", -1)):
        answer = ssm.get_command_invocation(CommandId=by_name[name]["outcome"]["command_id"], InstanceId=ids[name])
        assert answer["ResponseCode"] == code_wanted and f"ResponseCode {code_wanted}" in by_name[name]["outcome"]["detail"]
    assert (status["ok"], status["windows"], status["big"], status["no_lsof"]) == ("captured",) * 4
    assert status["denied"] == "evidence_upload_failed" and by_name["denied"]["artifacts"] == []
    assert "s3:PutObject" in by_name["denied"]["outcome"]["detail"]
    assert (status["ConnectionLost"], status["Inactive"], status["unmanaged"]) == ("connection_lost", "inactive", "unmanaged")
    for ping in ("ConnectionLost", "Inactive", "unmanaged"):
        assert by_name[ping]["outcome"]["detail"] and ssm.list_commands(InstanceId=ids[ping])["Commands"] == []

    # The document follows the platform; one SendCommand per document for all its instances.
    assert ssm.list_commands(InstanceId=ids["windows"])["Commands"][0]["DocumentName"] == "AWS-RunPowerShellScript"
    assert ssm.list_commands(InstanceId=ids["ok"])["Commands"][0]["DocumentName"] == "AWS-RunShellScript"
    assert sorted(r["params"]["DocumentName"] for r in lab.requests() if r["action"] == "SendCommand") == [
        "AWS-RunPowerShellScript", "AWS-RunShellScript"]

    # Over 24,000 characters: size and hash are the S3 object's, not the cut API output's.
    stdout = next(a for a in by_name["big"]["artifacts"] if a["kind"] == "triage_stdout")
    data = read_object(lab, stdout)
    assert (len(data), hashlib.sha256(data).hexdigest()) == (stdout["size_bytes"], stdout["sha256"])
    assert stdout["size_bytes"] > 30000 and stdout["truncated_in_api"] is True
    api = ssm.get_command_invocation(CommandId=stdout["command_id"], InstanceId=ids["big"])["StandardOutputContent"]
    assert len(api) == 24000 and hashlib.sha256(api.encode()).hexdigest() != stdout["sha256"]

    # Each step's output is located and hashed inside the object; a missing tool does not stop the next step.
    stdout = next(a for a in by_name["no_lsof"]["artifacts"] if a["kind"] == "triage_stdout")
    data = read_object(lab, stdout)
    steps = {s["name"]: s for s in stdout["steps"]}
    assert (steps["open_files"]["rc"], steps["memory"]["rc"], steps["timers"]["rc"]) == (127, 0, 0)
    assert steps["open_files"]["command"] == "lsof -nP +c 0"
    for step in stdout["steps"]:
        assert hashlib.sha256(data[step["offset"]:step["offset"] + step["length"]]).hexdigest() == step["sha256"]
    assert b"MemTotal:" in data[steps["memory"]["offset"]:steps["memory"]["offset"] + steps["memory"]["length"]]
    assert data.startswith(f"##IR## ticket={TICKET} profile=standard\n".encode())


def test_a_missing_invocation_right_after_the_send_is_waited_for_not_failed(lab, demo):
    lab.configure(ssm={"invocation_absent_seconds": 2.0})
    instance_id = demo["compromised_instance_id"]
    code, result = capture(lab, {"instance_ids": [instance_id], "ticket": TICKET, "bucket": demo["bucket"]})
    assert code == 0 and result["instances"][0]["outcome"]["status"] == "captured"
    requests = lab.requests()
    sent = [r for r in requests if r["action"] == "SendCommand"]
    assert len(sent) == 1
    # The module polled while the invocation did not exist yet (the lab shows it 2 s after the send), and went on.
    polls = [r for r in requests if r["action"] == "ListCommandInvocations" and r["params"].get("CommandId") and r["t"] < sent[0]["t_end"] + 2.0]
    assert polls and all(r["status"] == 200 for r in polls)


def test_a_rerun_reuses_the_command_and_force_collects_again(lab, demo):
    instance_id = demo["compromised_instance_id"]
    args = {"instance_ids": [instance_id], "ticket": TICKET, "bucket": demo["bucket"]}
    _code, first = capture(lab, args)
    lab.clear_requests()
    code, again = capture(lab, args)
    assert code == 0 and again["changed"] is False and mutating(lab.requests()) == []
    assert again["instances"][0]["artifacts"] == first["instances"][0]["artifacts"]
    _code, forced = capture(lab, dict(args, force=True))
    assert forced["changed"] is True
    assert forced["instances"][0]["outcome"]["command_id"] != first["instances"][0]["outcome"]["command_id"]


def test_a_ticket_full_of_shell_metacharacters_is_refused_before_any_change(lab, demo):
    code, result = capture(lab, {"instance_ids": [demo["compromised_instance_id"]], "ticket": "INC-1'; touch /tmp/x; $(id) `id`",
                                 "bucket": demo["bucket"]})
    assert code != 0 and "ticket" in result["msg"] and "INC-1'; touch" in result["msg"]
    assert mutating(lab.requests()) == []


def test_custom_commands_without_one_for_the_platform_skip_that_instance(lab, demo):
    instance_id = demo["compromised_instance_id"]
    code, result = capture(lab, {"instance_ids": [instance_id], "ticket": TICKET, "bucket": demo["bucket"], "triage_profile": "custom",
                                 "custom_commands": {"windows": ["Get-Process"]}})
    assert code == 0 and result["instances"][0]["outcome"]["status"] == "skipped"
    assert "no commands for linux" in result["instances"][0]["outcome"]["detail"]
    assert [r for r in lab.requests() if r["action"] == "SendCommand"] == []


def tools_bucket(lab):
    s3 = aws(lab, "s3")
    s3.create_bucket(Bucket="ir-tools-123456789012")
    s3.put_object(Bucket="ir-tools-123456789012", Key="winpmem_mini_x64_rc2.exe", Body=b"MZ stand-in")
    return {"windows": {"s3_uri": "s3://ir-tools-123456789012/winpmem_mini_x64_rc2.exe", "sha256": hashlib.sha256(b"MZ stand-in").hexdigest()}}


def test_check_mode_plans_the_memory_upload_and_sends_nothing(lab, demo):
    tools = tools_bucket(lab)
    windows = launch(lab, demo, {}, windows=True)
    lab.clear_requests()
    code, output = run_playbook(lab, CAPTURE, "--check", extra_vars={"capture_args": {
        "instance_ids": [windows, demo["compromised_instance_id"]], "ticket": TICKET, "bucket": demo["bucket"], "memory": True,
        "memory_tools": tools}})
    result = task_result(output, "Capture")
    assert code == 0 and mutating(lab.requests()) == []
    planned = [(a["action"], a["outcome"]) for a in result["actions"] if a["instance_ids"] == [windows]]
    assert ("CreateMultipartUpload", "planned") in planned and ("PutParameter", "planned") in planned
    assert planned[-1] == ("SendCommand", "planned")
    by_id = {r["instance_id"]: r["outcome"] for r in result["instances"]}
    assert by_id[windows]["memory"]["status"] == "planned"
    # No tool was given for Linux: that instance is skipped, not failed.
    assert by_id[demo["compromised_instance_id"]]["memory"]["status"] == "skipped"


def test_a_windows_memory_command_is_powershell_and_a_host_without_summary_fails_cleanly(lab, demo):
    # The lab does not run PowerShell: the script model prints no summary, which must end the acquisition cleanly.
    tools = tools_bucket(lab)
    windows = launch(lab, demo, {}, windows=True)
    code, result = capture(lab, {"instance_ids": [windows], "ticket": TICKET, "bucket": demo["bucket"], "memory": True, "memory_tools": tools})
    memory = result["instances"][0]["outcome"]["memory"]
    assert code == 0 and memory["status"] == "failed" and "no summary" in memory["detail"] and "aborted" in memory["detail"]
    commands = aws(lab, "ssm").list_commands(InstanceId=windows)["Commands"]
    sent = next(c for c in commands if c["Comment"] == f"aws-ir {TICKET} memory")
    assert sent["DocumentName"] == "AWS-RunPowerShellScript"
    assert sent["Parameters"]["commands"][4] == "$ir_tool_args = @('-')"
    s3 = aws(lab, "s3")
    assert s3.list_multipart_uploads(Bucket=demo["bucket"]).get("Uploads", []) == []
    assert "Contents" not in s3.list_objects_v2(Bucket=demo["bucket"], Prefix=f"{TICKET}/volatile/memory/")
    assert aws(lab, "ssm").describe_parameters(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": ["/secops/aws_ir"]}])["Parameters"] == []
