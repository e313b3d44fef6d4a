"""The AWS calls Ansible modules make in the labs during the integration tests, kept across lab resets.

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


class ModuleCalls:
    """The module calls of the session's RecordingLabs (session-scoped, running until the end), written to path as they are kept."""

    def __init__(self, path):
        self.path = path
        self.calls = []
        self.labs = []

    def keep(self, requests):
        self.calls.extend(r for r in requests if made_by_a_module(r))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.calls, indent=1), encoding="utf-8")

    def collect(self):
        """Keep what every running lab logged since its last reset or clear; returns every call kept."""
        for lab in self.labs:
            lab.keep_module_calls()
        return self.calls


class RecordingLab(Lab):
    """A Lab whose module calls go to a ModuleCalls before each reset or clear of its request log."""

    def __init__(self, module_calls, **kwargs):
        super().__init__(**kwargs)
        self.module_calls = module_calls
        module_calls.labs.append(self)

    def keep_module_calls(self):
        self.module_calls.keep(super().requests())

    def reset(self):
        self.keep_module_calls()
        return super().reset()

    def clear_requests(self):
        self.keep_module_calls()
        return super().clear_requests()
