import datetime

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory_capture import capture_memory

REQUESTED = datetime.datetime(2026, 11, 29, 20, 15, tzinfo=datetime.timezone.utc)


class Acquisitions:
    """A memory.MemoryRun that says what it was asked: i-1 has an earlier command, i-2 an image in the bucket."""

    def __init__(self, fake_client, check_mode):
        self.log = ActionLog("volatile_capture", check_mode)
        self.tools = {"linux": {"sha256": "a" * 64}}
        self.timeouts = {"delivery": 600, "execution": 7200}
        self.comment = "aws-ir INC-1 memory"
        self.asked = []

        def earlier(params):
            found = [{"CommandId": "c-old", "Comment": self.comment, "Status": "InProgress", "RequestedDateTime": REQUESTED}]
            return {"CommandInvocations": found if params["InstanceId"] == "i-1" else []}
        self.ssm = fake_client(list_command_invocations=earlier)

    def resume(self, instance_id, platform, command_id):
        self.asked.append(("resume", instance_id))
        return {"instance_id": instance_id, "platform": platform, "command_id": command_id, "upload_id": "up-old"}

    def existing_image(self, instance_id, _platform):
        self.asked.append(("existing_image", instance_id))
        return instance_id == "i-2"

    def found_only(self, instance_id, _platform):
        self.asked.append(("found_only", instance_id))
        return [{"kind": "memory_image"}], {"status": "captured"}

    def start(self, instance_id, platform, memory_mib):
        self.asked.append(("start", instance_id, memory_mib))
        return {"instance_id": instance_id, "platform": platform, "command_id": "(planned)", "upload_id": "(planned)"}


def ec2(fake_client):
    return fake_client(describe_instances={"Reservations": [{"Instances": [{"InstanceId": "i-3", "InstanceType": "t3.micro"}]}]},
                       describe_instance_types={"InstanceTypes": [{"InstanceType": "t3.micro", "MemoryInfo": {"SizeInMiB": 1024}}]})


def test_an_earlier_acquisition_is_resumed_an_image_in_the_bucket_kept_and_only_the_rest_started(fake_client):
    run = Acquisitions(fake_client, check_mode=True)
    results = capture_memory(run, ec2(fake_client), {"i-1": "linux", "i-2": "linux", "i-3": "linux", "i-4": "windows"}, force=False, wait=True)
    assert results["i-4"]["outcome"] == {"status": "skipped", "detail": "memory_tools has no tool for windows"}
    assert results["i-2"] == {"artifacts": [{"kind": "memory_image"}], "outcome": {"status": "captured"}}
    assert {i: results[i]["outcome"]["status"] for i in ("i-1", "i-3")} == {"i-1": "planned", "i-3": "planned"}
    assert results["i-1"]["outcome"]["command_id"] == "c-old"
    assert run.asked == [("resume", "i-1"), ("existing_image", "i-2"), ("found_only", "i-2"), ("existing_image", "i-3"), ("start", "i-3", 1024)]


def test_force_starts_every_instance_with_a_tool_anew(fake_client):
    run = Acquisitions(fake_client, check_mode=False)
    machines = fake_client(describe_instances={"Reservations": [{"Instances": [{"InstanceId": i, "InstanceType": "t3.micro"} for i in ("i-1", "i-2")]}]},
                           describe_instance_types={"InstanceTypes": [{"InstanceType": "t3.micro", "MemoryInfo": {"SizeInMiB": 1024}}]})
    results = capture_memory(run, machines, {"i-1": "linux", "i-2": "linux"}, force=True, wait=False)
    assert run.asked == [("start", "i-1", 1024), ("start", "i-2", 1024)] and run.ssm.calls == []
    assert {r["outcome"]["status"] for r in results.values()} == {"sent"}
