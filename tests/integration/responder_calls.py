"""The AWS calls Ansible modules make in the lab during the integration tests, kept across lab resets.

The responder's IAM policy is compared with them (test_responder_policy.py). A test's own boto3
reads and the scenes it builds are not the responder's calls: amazon.aws gives every module's
botocore client the user agent "APN/1.0 Ansible/<version> <collection>/<version>", which the
lab logs, and that is how the module calls are told apart.
"""

import json

from lab import Lab

MODULE_USER_AGENT = "APN/1.0 Ansible/"


def made_by_a_module(request):
    return MODULE_USER_AGENT in request.get("user_agent", "")


class RecordingLab(Lab):
    """A Lab that keeps the module calls in its request log before each reset or clear, and writes them to record_path."""

    def __init__(self, record_path, **kwargs):
        super().__init__(**kwargs)
        self.record_path = record_path
        self.module_calls = []

    def keep_module_calls(self):
        self.module_calls.extend(r for r in super().requests() if made_by_a_module(r))
        self.record_path.parent.mkdir(parents=True, exist_ok=True)
        self.record_path.write_text(json.dumps(self.module_calls, indent=1), encoding="utf-8")

    def reset(self):
        self.keep_module_calls()
        return super().reset()

    def clear_requests(self):
        self.keep_module_calls()
        return super().clear_requests()
