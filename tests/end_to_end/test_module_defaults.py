"""module_defaults: group/secops.aws_ir.aws_ir reaches the collection's modules and amazon.aws's."""

from tests.end_to_end.support import REGION
from tests.end_to_end.support import REPO
from tests.end_to_end.support import TICKET
from tests.end_to_end.support import run_playbook
from tests.end_to_end.support import task_result

PLAYBOOK = REPO / "tests" / "end_to_end" / "playbooks" / "module_defaults.yml"


def test_region_and_endpoint_set_only_in_the_action_group_reach_both_collections(lab, demo):
    extra_vars = {"ticket": TICKET, "lab_region": REGION, "lab_endpoint_url": lab.endpoint_url}
    code, output = run_playbook(lab, PLAYBOOK, extra_vars=extra_vars)
    assert code == 0, output["stats"]
    assert task_result(output, "A module of this collection")["instance_ids"] == [demo["compromised_instance_id"]]
    found = task_result(output, "A module of amazon.aws")["instances"]
    assert [i["instance_id"] for i in found] == [demo["compromised_instance_id"]]
    callers = {r["user_agent"].split(" Ansible/")[1].split()[1].split("/")[0] for r in lab.requests()
               if r["action"] == "DescribeInstances"}
    assert callers == {"secops.aws_ir", "amazon.aws"}
