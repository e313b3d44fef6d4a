import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.containment import release

ENI = {"network_interface_id": "eni-1", "groups": ["sg-web"]}
ORIGINAL = {"attributes": {"DisableApiTermination": False}, "network_interfaces": [ENI], "auto_scaling": {"group_name": "web-asg"}}
CONTAINED = {"attributes": {"DisableApiTermination": True}, "network_interfaces": [dict(ENI, groups=["sg-q"])], "auto_scaling": None}
GROUPS = {"sg-web": {"GroupId": "sg-web", "GroupName": "web"}, "sg-q": {"GroupId": "sg-q", "GroupName": "aws-ir-quarantine"},
          "sg-mine": {"GroupId": "sg-mine", "GroupName": "ir-hold"}}


def test_an_instance_without_a_recorded_state_anywhere_is_refused():
    for recorded in (None, {}, {"i-1": None}, {"i-2": {"instance_id": "i-2"}}):
        assert release.manifest_states(recorded, ["i-1"]) == {}
    with pytest.raises(release.ReleaseError, match=r"recorded_state: no state recorded for i-1: neither .* nothing to restore it to"):
        release.choose("i-1", None, None, CONTAINED, GROUPS)


def test_the_recorded_state_of_another_instance_is_refused():
    with pytest.raises(release.ReleaseError, match=r"recorded_state\[i-1\] is the recorded state of i-2, not of i-1"):
        release.manifest_states({"i-1": {"instance_id": "i-2", "network_interfaces": []}}, ["i-1"])
    # A state recorded before states named their instance is taken as the instance's own.
    assert release.manifest_states({"i-1": {"network_interfaces": []}}, ["i-1"]) == {"i-1": {"network_interfaces": []}}


def test_the_manifest_wins_unless_it_recorded_a_quarantine_state():
    assert release.choose("i-1", ORIGINAL, ORIGINAL, CONTAINED, GROUPS)[:2] == (ORIGINAL, release.SOURCE_MANIFEST)
    assert release.choose("i-1", ORIGINAL, None, CONTAINED, GROUPS)[:2] == (ORIGINAL, release.SOURCE_MANIFEST)
    state, source, notes, _warnings = release.choose("i-1", CONTAINED, ORIGINAL, CONTAINED, GROUPS)
    assert (state, source) == (ORIGINAL, release.SOURCE_TAGS) and "interfaces in sg-q" in notes[0]
    with pytest.raises(release.ReleaseError, match=r"itself a quarantine state \(interfaces in sg-q\), and the instance carries no original-state tags"):
        release.choose("i-1", CONTAINED, None, CONTAINED, GROUPS)


def test_a_manifest_recorded_after_a_containment_with_the_responders_own_groups_gives_way_to_the_tags():
    # Contained by another playbook with quarantine_group_ids, then recorded: the manifest holds what the instance has now.
    mine = dict(CONTAINED, network_interfaces=[dict(ENI, groups=["sg-mine"])])
    state, source, notes, _warnings = release.choose("i-1", mine, ORIGINAL, mine, GROUPS)
    assert (state, source) == (ORIGINAL, release.SOURCE_TAGS) and "groups of eni-1" in notes[0]
    # Tags written at a later containment that differ from a genuine manifest: the manifest is restored, with a warning.
    later = dict(ORIGINAL, auto_scaling=None)
    state, source, _notes, warnings = release.choose("i-1", ORIGINAL, later, CONTAINED, GROUPS)
    assert (state, source) == (ORIGINAL, release.SOURCE_MANIFEST) and "differ from the evidence manifest's state_before (auto_scaling)" in warnings[0]
