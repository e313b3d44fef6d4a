import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.containment import release


def test_an_instance_without_a_recorded_state_is_refused():
    for recorded in (None, {}, {"i-1": None}, {"i-2": {"instance_id": "i-2"}}):
        with pytest.raises(release.ReleaseError, match=r"recorded_state: no state recorded for i-1 .*nothing to restore it to"):
            release.recorded_states(recorded, ["i-1"])


def test_the_recorded_state_of_another_instance_is_refused():
    with pytest.raises(release.ReleaseError, match=r"recorded_state\[i-1\] is the recorded state of i-2, not of i-1"):
        release.recorded_states({"i-1": {"instance_id": "i-2", "network_interfaces": []}}, ["i-1"])
    # A state recorded before states named their instance is taken as the instance's own.
    assert release.recorded_states({"i-1": {"network_interfaces": []}}, ["i-1"]) == {"i-1": {"network_interfaces": []}}
