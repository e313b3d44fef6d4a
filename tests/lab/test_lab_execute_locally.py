"""--execute-locally: AWS-RunShellScript really runs (on this machine), with its real output and exit code."""
import sys
import time

import boto3
import pytest

from lab import Lab

FAST = {"invocation_absent_seconds": 0.0, "pending_seconds": 0.0, "in_progress_seconds": 0.0}


@pytest.fixture(scope="module")
def local_lab():
    with Lab(execute_locally=True, ssm=FAST) as running:
        yield running


@pytest.fixture
def clients(local_lab):
    local_lab.reset()
    return lambda name: boto3.client(name, endpoint_url=local_lab.endpoint_url, region_name="us-east-1")


def _instance(clients):
    ec2 = clients("ec2")
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"][0]["ImageId"]
    return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]


def _run(clients, commands, timeout="60"):
    ssm, instance_id = clients("ssm"), _instance(clients)
    command_id = ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript",
                                  Parameters={"commands": commands, "executionTimeout": [timeout]})["Command"]["CommandId"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        answer = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        if answer["Status"] not in ("Pending", "InProgress"):
            return answer
        time.sleep(0.05)
    raise AssertionError("command did not finish")


def test_real_output_and_exit_code(clients):
    answer = _run(clients, ["echo hello from $(basename $PWD | cut -c1-7)", "echo oops >&2", "exit 3"])
    assert (answer["Status"], answer["ResponseCode"]) == ("Failed", 3)
    assert answer["StandardOutputContent"] == "hello from lab-ssm\n"
    assert answer["StandardErrorContent"] == "oops\nfailed to run commands: exit status 3"


def _running(pid):
    """True while the process exists and is not a zombie (killed, not yet reaped by init)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_execution_timeout_kills_the_script_and_its_children(clients, tmp_path):
    # The agent kills the whole script at executionTimeout (SSM "aws:runShellScript", executionTimeout):
    # its child is gone and the line after it never runs.
    pid_file = tmp_path / "sleep.pid"
    answer = _run(clients, ["echo started", f"sleep 300 & echo $! > {pid_file}", "wait", "echo after"], timeout="1")
    assert (answer["Status"], answer["StatusDetails"], answer["ResponseCode"]) == ("TimedOut", "ExecutionTimedOut", 137)
    assert answer["StandardOutputContent"] == "started\n"
    assert not _running(int(pid_file.read_text(encoding="ascii")))


def test_script_can_put_through_a_presigned_url(clients):
    s3 = clients("s3")
    s3.create_bucket(Bucket="local-evidence")
    url = s3.generate_presigned_url("put_object", Params={"Bucket": "local-evidence", "Key": "memory.lime"}, ExpiresIn=300)
    # An explicit Content-Type, as upload tools send: moto (Flask) swallows a form-encoded body.
    put = (f"import urllib.request; urllib.request.urlopen(urllib.request.Request('{url}', data=b'RAM', method='PUT', "
           "headers={'Content-Type': 'application/octet-stream'})).read()")
    answer = _run(clients, [f'{sys.executable} -c "{put}"', "echo uploaded"])
    assert answer["Status"] == "Success", answer["StandardErrorContent"]
    assert s3.get_object(Bucket="local-evidence", Key="memory.lime")["Body"].read() == b"RAM"


def test_script_sees_the_instance_role_and_reaches_the_lab_with_the_aws_cli(clients):
    # As on EC2: the instance profile's credentials and the Regional endpoints, never the caller's own credentials.
    clients("ssm").put_parameter(Name="/secops/aws_ir/lab/check", Value="from-parameter-store", Type="SecureString")
    answer = _run(clients, ["echo key=$AWS_ACCESS_KEY_ID", "aws ssm get-parameter --name /secops/aws_ir/lab/check --with-decryption "
                            "--query Parameter.Value --output text"])
    assert answer["Status"] == "Success", answer["StandardErrorContent"]
    assert answer["StandardOutputContent"] == "key=lab-instance-role-key\nfrom-parameter-store\n"
