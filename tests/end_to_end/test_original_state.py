"""The state a release restores is kept on the resources from the first change (AwsIr:Original* tags, docs/original-state-tags.md).

Issue 13, case 1 from the release side: a lost first manifest upload, or a containment by another playbook
before respond.yml recorded it, no longer makes release.yml leave the instance contained while saying
"released"; a release with nothing to restore says so; a re-run never overwrites the recorded original.
"""

import json

from tests.end_to_end.support import TICKET
from tests.end_to_end.support import aws
from tests.end_to_end.support import manifest_versions
from tests.end_to_end.support import mutating
from tests.end_to_end.support import run_module
from tests.end_to_end.support import run_playbook
from tests.end_to_end.test_release import observed

MODULE = "ec2_quarantine"
PREFIX = "AwsIr:Original"
OPT_INS = {"ticket": TICKET, "disassociate_elastic_ips": True, "credentials_containment": "deny_policy"}


def original_tags(lab, instance_id):
    """{resource id: {AwsIr:Original* key: value}} of the instance and its interfaces, read back with boto3."""
    ec2 = aws(lab, "ec2")
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    found = {instance_id: {t["Key"]: t["Value"] for t in instance.get("Tags", []) if t["Key"].startswith(PREFIX)}}
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])["NetworkInterfaces"]
    found.update({n["NetworkInterfaceId"]: {t["Key"]: t["Value"] for t in n.get("TagSet", []) if t["Key"].startswith(PREFIX)} for n in enis})
    return found


def release(lab, extra=None):
    code, output = run_playbook(lab, "release.yml", extra_vars=dict({"ticket": TICKET, "restore_auto_scaling_group": True}, **(extra or {})))
    assert code == 0, json.dumps(output["stats"])
    return output


def test_a_refused_first_manifest_upload_loses_nothing_a_release_needs(lab, multi_vpc):
    instance_id = multi_vpc["compromised_instance_id"]
    before = observed(lab, multi_vpc, instance_id)
    # The first PutObject of the run is manifest.json (the SSM emulator's uploads do not pass through the API).
    lab.configure(faults=[{"service": "s3", "action": "PutObject", "code": "AccessDenied", "status": 403, "count": 1}])
    code, _output = run_playbook(lab, "respond.yml", extra_vars=OPT_INS)
    lab.configure(faults=[])
    assert code != 0
    assert [r["error_code"] for r in lab.requests() if r["action"] == "PutObject"][0] == "AccessDenied"
    code, _output = run_playbook(lab, "respond.yml", extra_vars=OPT_INS)
    assert code == 0
    contained = observed(lab, multi_vpc, instance_id)
    assert contained["groups"] != before["groups"] and contained["auto_scaling"] == []
    # The re-run's manifest records the state before the FIRST change, not the contained one it found.
    record = manifest_versions(lab, multi_vpc["bucket"])[0]["manifest"]["instances"][instance_id]
    assert {e["network_interface_id"]: sorted(e["groups"]) for e in record["state_before"]["network_interfaces"]} == before["groups"]
    assert record["state_before"]["auto_scaling"]["group_name"] == multi_vpc["asg_name"]

    output = release(lab)
    assert observed(lab, multi_vpc, instance_id) == before
    record = manifest_versions(lab, multi_vpc["bucket"])[0]["manifest"]["instances"][instance_id]
    assert record["outcome"]["release"]["status"] == "released"
    # A completed release deletes the tags, so that a later containment records afresh.
    assert original_tags(lab, instance_id) == {instance_id: {}, multi_vpc["primary_interface_id"]: {}, multi_vpc["secondary_interface_id"]: {}}
    assert output["stats"]["localhost"]["failures"] == 0


def test_an_instance_contained_by_another_playbook_first_is_released_to_its_original_state(lab, demo):
    instance_id = demo["compromised_instance_id"]
    before = observed(lab, demo, instance_id)
    # Another playbook contains it before respond.yml ever recorded it.
    contained = run_module(lab, MODULE, {"instance_ids": [instance_id], "ticket": TICKET})
    assert not contained.get("failed"), contained
    code, _output = run_playbook(lab, "respond.yml")
    assert code == 0
    release(lab)
    assert observed(lab, demo, instance_id) == before


def test_a_manifest_state_before_that_is_a_quarantine_state_gives_way_to_the_original_state_tags(lab, demo):
    instance_id = demo["compromised_instance_id"]
    before = observed(lab, demo, instance_id)
    contained = run_module(lab, MODULE, {"instance_ids": [instance_id], "ticket": TICKET})
    assert not contained.get("failed"), contained
    # What an older manifest holds when it was first written after the containment: the contained state.
    recorded = {instance_id: contained["instances"][0]["state_after"]}
    released = run_module(lab, MODULE, {"state": "absent", "instance_ids": [instance_id], "ticket": TICKET, "recorded_state": recorded,
                                        "restore_auto_scaling_group": True})
    assert not released.get("failed"), released
    outcome = released["instances"][0]["outcome"]
    assert outcome["status"] == "released" and outcome["restored_from"] == "original-state tags"
    assert any("is itself a quarantine state" in n and "restored from the original-state tags instead" in n for n in outcome["notes"])
    assert observed(lab, demo, instance_id) == before


def test_a_release_with_nothing_to_restore_says_so_and_a_quarantine_state_without_tags_is_not_released(lab, demo):
    first, second = demo["instance_ids"]
    # Nothing to restore: the instance is as recorded (never contained).
    planned = run_module(lab, MODULE, {"instance_ids": [second], "ticket": TICKET}, "--check")
    lab.clear_requests()
    released = run_module(lab, MODULE, {"state": "absent", "instance_ids": [second], "ticket": TICKET,
                                        "recorded_state": {second: planned["instances"][0]["state_before"]}})
    assert not released.get("failed"), released
    assert released["instances"][0]["outcome"]["status"] == "unchanged" and not released["changed"]
    assert released["instances"][0]["outcome"]["notes"][0].startswith("nothing to restore")
    assert mutating(lab.requests()) == []

    # A recorded state that is itself a quarantine state, and no original-state tags (an older containment): not released.
    contained = run_module(lab, MODULE, {"instance_ids": [first], "ticket": TICKET})
    tagged = original_tags(lab, first)
    aws(lab, "ec2").delete_tags(Resources=sorted(tagged), Tags=[{"Key": k} for k in sorted({k for keys in tagged.values() for k in keys})])
    lab.clear_requests()
    refused = run_module(lab, MODULE, {"state": "absent", "instance_ids": [first], "ticket": TICKET,
                                       "recorded_state": {first: contained["instances"][0]["state_after"]}})
    assert refused.get("failed")
    quarantine = contained["security_groups"][demo["vpc_id"]]["quarantine_group_id"]
    assert (f"recorded_state[{first}]: the evidence manifest's state_before of {first} is itself a quarantine state "
            f"(interfaces in {quarantine})") in refused["msg"]
    assert "it is not released" in refused["msg"]
    assert mutating(lab.requests()) == [] and refused["actions"] == []


def test_a_rerun_never_overwrites_the_recorded_original_and_release_without_a_manifest_uses_it(lab, demo):
    ec2, instance_id = aws(lab, "ec2"), demo["compromised_instance_id"]
    before = observed(lab, demo, instance_id)
    eni_id = list(before["groups"])[0]
    expected = {
        instance_id: {
            f"{PREFIX}Attributes": "DisableApiTermination=false DisableApiStop=false InstanceInitiatedShutdownBehavior="
                                   + before["attributes"]["InstanceInitiatedShutdownBehavior"],
            f"{PREFIX}DeleteOnTermination": " ".join(f"{d}={'true' if v else 'false'}" for d, v in before["delete_on_termination"].items()),
            f"{PREFIX}AutoScalingGroup": f"min=1 max=4 desired=2 state=InService name={demo['asg_name']}",
            f"{PREFIX}LoadBalancers": demo["clb_name"],
            f"{PREFIX}TargetGroups": f"{demo['target_group_arn']},{instance_id},80,,healthy",
            f"{PREFIX}InstanceProfile": demo["instance_profile_arn"],
        },
        eni_id: {f"{PREFIX}Groups": " ".join(before["groups"][eni_id]), f"{PREFIX}ElasticIps": ""},
    }
    for _run in range(2):
        result = run_module(lab, MODULE, {"instance_ids": [instance_id], "ticket": TICKET})
        assert not result.get("failed"), result
        assert original_tags(lab, instance_id) == expected
    # The second run found the instance contained and wrote no tag.
    assert [c for c in result["actions"] if c["action"] == "CreateTags" and any(k.startswith(PREFIX) for k in c["after"]["tags"])] == []
    assert ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="disableApiTermination")["DisableApiTermination"]["Value"] is True

    # No manifest was ever written for the ticket: release.yml restores what the tags record.
    assert aws(lab, "s3").list_object_versions(Bucket=demo["bucket"]).get("Versions", []) == []
    release(lab)
    assert observed(lab, demo, instance_id) == before
    record = manifest_versions(lab, demo["bucket"])[0]["manifest"]["instances"][instance_id]
    assert record["outcome"]["release"]["restored_from"] == "original-state tags"
    assert record["outcome"]["release"]["recorded_state"]["auto_scaling"]["group_name"] == demo["asg_name"]
