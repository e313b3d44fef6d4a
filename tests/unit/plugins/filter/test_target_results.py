"""target_results: the results of a stage run per account and Region, as the manifest takes them."""

from ansible_collections.secops.aws_ir.plugins.filter.target_results import target_results

ACTION = {"stage": "containment", "action": "ModifyInstanceAttribute", "instance_ids": ["i-2"]}
TARGET = {"account_id": "444455556666", "region": "us-west-2", "instance_ids": ["i-2"],
          "credentials": {"access_key": "key", "secret_key": "secret", "session_token": "token"}}


def test_each_action_of_a_target_names_its_account_and_region_and_the_credentials_are_left_out():
    looped = {"results": [{"stage": "containment", "actions": [ACTION], "item": TARGET, "invocation": {"module_args": {}},
                           "ansible_loop_var": "item", "changed": True}]}
    [result] = target_results(looped)
    assert result["actions"] == [dict(ACTION, account_id="444455556666", region="us-west-2")]
    assert set(result) == {"stage", "actions", "changed", "failed"} and result["failed"] is False
    assert "secret" not in repr(result)


def test_items_that_did_not_run_their_module_and_tasks_that_did_not_run_give_nothing():
    assert target_results({"results": [{"skipped": True, "item": TARGET}]}) == []
    assert target_results({"skipped": True, "results": []}) == [] and target_results({}) == []


def test_a_list_of_stage_results_is_stamped_with_where_or_left_as_it_is():
    results = [{"stage": "containment", "actions": [ACTION]}]
    assert target_results(results) == results
    [stamped] = target_results(results, where={"account_id": "123456789012", "region": "us-east-1"})
    assert stamped["actions"] == [dict(ACTION, account_id="123456789012", region="us-east-1")]
