import pytest

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import TagError
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import copyable
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import ensure_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import has_room
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import incident_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import missing_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import validate_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import within_limit


@pytest.mark.parametrize("tags, message", [
    ({"aws:cloudformation:stack-name": "x"}, "reserved prefix 'aws:'"),
    ({"AWS:Owner": "x"}, "reserved prefix"),
    ({"k" * 129: "x"}, "1 to 128 characters"),
    ({"Owner": "v" * 257}, "257 characters long; at most 256"),
    ({f"k{i}": "v" for i in range(51)}, "51 tags given; a resource holds at most 50"),
])
def test_tags_aws_refuses_are_refused_before_any_call(tags, message):
    with pytest.raises(TagError, match=message):
        validate_tags(tags)


def test_limits_themselves_are_accepted():
    tags = {f"k{i}": "v" for i in range(49)}
    tags["k" * 128] = "v" * 256
    assert validate_tags(tags) == tags


def test_user_tags_never_replace_the_ticket_tag():
    assert incident_tags("INC-1", {"IncidentTicket": "other", "Team": "blue"}) == {"IncidentTicket": "INC-1", "Team": "blue"}


def test_ensure_tags_tags_only_resources_lacking_a_tag_in_one_call(fake_client):
    client = fake_client(create_tags={"ResponseMetadata": {"RequestId": "r1"}})
    log = ActionLog("containment", check_mode=False)
    current = {"i-1": {"IncidentTicket": "INC-1"}, "vol-2": {}, "vol-3": {"IncidentTicket": "INC-0"}}
    tagged = ensure_tags(log, client, current, {"IncidentTicket": "INC-1"})
    assert tagged == ["vol-2", "vol-3"]
    assert client.calls == [("create_tags", {"Resources": ["vol-2", "vol-3"], "Tags": [{"Key": "IncidentTicket", "Value": "INC-1"}]})]
    assert ensure_tags(log, client, {"i-1": {"IncidentTicket": "INC-1"}}, {"IncidentTicket": "INC-1"}) == []
    assert len(client.calls) == 1


def test_copyable_drops_every_aws_reserved_key_whatever_its_case():
    assert copyable({"aws:autoscaling:groupName": "g", "AWS:x": "y", "Name": "web", "awsome": "z"}) == {"Name": "web", "awsome": "z"}


def test_within_limit_first_layer_wins_and_later_keys_are_dropped_in_sorted_order():
    tags, dropped = within_limit([{"IncidentTicket": "INC-1"}, {"IncidentTicket": "other", "b": "1", "a": "1"}, {"c": "1"}], limit=2)
    assert tags == {"IncidentTicket": "INC-1", "a": "1"}
    assert dropped == ["b", "c"]


def test_has_room_counts_keys_already_there_once():
    full = {f"k{i}": "v" for i in range(50)}
    assert has_room(full, {"k0": "new value"})
    assert not has_room(full, {"IncidentTicket": "INC-1"})


# Every kind of non-string value YAML and Jinja give a module, and the text AWS then holds: what amazon.aws's
# modules send (tagging.ansible_dict_to_boto3_tag_list, to_native of the value).
NON_STRING = [(1, "1"), (1.5, "1.5"), (True, "True"), (False, "False"), (None, "None")]


@pytest.mark.parametrize("given, stored", NON_STRING)
def test_a_value_that_is_not_a_string_is_validated_and_compared_as_the_text_aws_stores(given, stored):
    assert validate_tags({"Priority": given, 7: "seven"}) == {"Priority": stored, "7": "seven"}
    assert ansible_dict_to_boto3_tag_list({"Priority": given}) == [{"Key": "Priority", "Value": stored}]
    assert missing_tags({"Priority": stored}, {"Priority": given}) == {}
    assert missing_tags({"Priority": "other"}, {"Priority": given}) == {"Priority": given}


@pytest.mark.parametrize("given, stored", NON_STRING)
def test_a_resource_holding_the_text_of_a_non_string_value_is_not_tagged_again(fake_client, given, stored):
    client = fake_client(create_tags={"ResponseMetadata": {"RequestId": "r1"}})
    log = ActionLog("containment", check_mode=False)
    assert ensure_tags(log, client, {"i-1": {"Priority": stored}}, {"Priority": given}) == []
    assert client.calls == [] and log.records == [] and not log.changed


def test_missing_tags_keeps_the_order_of_the_wanted_tags():
    assert list(missing_tags({"b": "1"}, {"d": "1", "b": "2", "a": "1", "c": "1"})) == ["d", "b", "a", "c"]
