# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AnsibleAWSModule for secops.aws_ir: retries by default, and a result that survives failure.

A module that fails after its first change must still tell the playbook what it
changed, so that the evidence manifest (written in an ``always:`` section) records
it. AwsIrModule therefore adds ``actions`` (every mutating call, see actions.py)
and whatever the module put in ``partial`` (for example the state before the
change) to the result of exit_json and of every fail_json, including the ones
AnsibleAWSModule raises from an AWS error.
"""

import threading

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.common import get_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK.

from ansible_collections.secops.aws_ir.plugins.module_utils.actions import ActionLog
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AWS_IR_COLLECTION_NAME
from ansible_collections.secops.aws_ir.plugins.module_utils.common import AWS_IR_COLLECTION_VERSION
from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError
from ansible_collections.secops.aws_ir.plugins.module_utils.targets import assume_member_role
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import CLIENT_RETRIES
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import DEFAULT_RETRY
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import describe_throttled
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import describe_not_repeated
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import throttled_code


def user_agent():
    """The user agent amazon.aws's clients send (APN/1.0 Ansible/<version> <collection>/<version>), built
    from public API: amazon.aws keeps its own builder private and may change it in any release."""
    info = get_collection_info()
    return f"APN/1.0 Ansible/{ANSIBLE_VERSION} {info['name']}/{info['version']}"


class AwsIrModule(AnsibleAWSModule):
    """AnsibleAWSModule that records mutating calls and reports them even when it fails.

    stage: the workflow stage this module reports (see common.STAGES).
    """

    def __init__(self, stage, **kwargs):
        # Set before AnsibleAWSModule.__init__, which may already call fail_json.
        self.stage = stage
        self.partial = {}
        # The account id once GetCallerIdentity has answered (the preflight), for messages.
        self.account = None
        self._caller_identity = None
        self._sessions = {}
        self._role_options = None
        self._client_lock = threading.Lock()
        self.actions = ActionLog(stage=stage, check_mode=False)
        # amazon.aws shows the access key id in the task's invocation (verbose output, AWX job events);
        # no credential of the responder belongs in an incident's logs, so it is masked like the secret key.
        access_key = dict(aws_argument_spec()["access_key"], no_log=True)
        kwargs["argument_spec"] = dict(kwargs.get("argument_spec") or {}, access_key=access_key)
        super().__init__(**kwargs)
        self.actions.check_mode = self.check_mode
        set_collection_info(collection_name=AWS_IR_COLLECTION_NAME, collection_version=AWS_IR_COLLECTION_VERSION)

    def set_stage(self, stage):
        """Report another stage than the one given at creation (a module whose state option selects its stage)."""
        self.stage = self.actions.stage = stage

    def client(self, service, retry_decorator=None, **extra_params):
        """A boto3 client whose calls retry as retry.py says when passed aws_retry=True; botocore itself never retries.

        As AnsibleAWSModule.client (same connection options, user agent, extra_params such as
        region= or config=), except that every client of the module comes from one boto3
        session per profile: botocore then reads its data files once, where a session per
        client costs about 0.1 s of CPU for each client after the first.
        """
        region, endpoint_url, connection = get_aws_connection_info(self)
        connection.update(self.role_options())
        connection.update(extra_params)
        region = connection.pop("region", region)
        endpoint_url = connection.pop("endpoint", endpoint_url)
        profile = connection.pop("profile_name", None)
        config = Config(user_agent=user_agent(), retries=CLIENT_RETRIES)
        for name in ("config", "aws_config"):
            extra = connection.pop(name, None)
            if extra:
                config = config.merge(extra if isinstance(extra, Config) else Config(**extra))
        try:
            # botocore's session is not thread safe (its clients are): modules that read side by side create clients from threads.
            with self._client_lock:
                client = self.session(profile).client(service, config=config, region_name=region, endpoint_url=endpoint_url, **connection)
            return RetryingBotoClientWrapper(client, retry_decorator or DEFAULT_RETRY)
        except (ValueError, BotoCoreError) as e:
            return self.fail_json_aws(e, msg="Couldn't connect to AWS")

    def role_options(self):
        """Client options with the credentials of the module's role_arn (another account's member role), assumed once per
        module run with the module's own credentials; none without role_arn.

        The role is assumed here, not in a task before, so that no result, loop item or job event ever holds the
        temporary credentials, and each stage gets credentials as fresh as its own start (docs/accounts-and-regions.md).
        """
        role_arn = self.params.get("role_arn")
        if not role_arn:
            return {}
        if self._role_options is None:
            self._role_options = {}  # the STS client below acts with the module's own credentials
            self._role_options = assume_member_role(self.client, role_arn, self.params["ticket"])
        return self._role_options

    def session(self, profile=None):
        """The module's boto3 session of profile (None: the default credential chain), created once.

        Whatever else reads botocore's data (the Regions it knows, say) asks this session too: botocore
        loads each data file once per session, and the EC2 model alone costs about 0.07 s of CPU.
        """
        if profile not in self._sessions:
            self._sessions[profile] = boto3.session.Session(profile_name=profile)
        return self._sessions[profile]

    def caller_identity(self):
        """STS GetCallerIdentity of the module's credentials ({"Account", "Arn", "UserId"}), asked once per module run."""
        if self._caller_identity is None:
            self._caller_identity = self.client("sts").get_caller_identity(aws_retry=True)
            self.account = self._caller_identity["Account"]
        return self._caller_identity

    def account_id(self):
        """The account of the credentials in use: the one the preflight read (account), else STS GetCallerIdentity.

        Asked only to say where something was not found; "this account" when STS cannot tell either.
        """
        if self.account is None:
            try:
                self.caller_identity()
            except (ClientError, BotoCoreError):
                return "(this account: STS GetCallerIdentity did not answer)"
        return self.account

    def _with_evidence(self, kwargs):
        result = dict(self.partial, stage=self.stage, actions=self.actions.records)
        result.update(kwargs)
        return result

    def _result(self, kwargs):
        # AnsibleAWSModule also passes warnings= to exit_json, which ansible-core 2.19 deprecates
        # (warn() already reports them), so the result is finished here and handed to AnsibleModule.
        if self.params.get("debug_botocore_endpoint_logs"):
            kwargs["resource_actions"] = self._get_resource_action_list()
        return self._with_evidence(kwargs)

    def exit_json(self, *args, **kwargs):
        self._module.exit_json(*args, **self._result(kwargs))

    def fail_json(self, *args, **kwargs):
        self._module.fail_json(*args, **self._result(kwargs))

    def run(self, do, aws_failure):
        """Call do(self); turn our errors and AWS errors into fail_json (with the actions made so far).

        aws_failure: the first words of the message when AWS refuses a call.
        """
        try:
            do(self)
        except NotFoundError as e:
            self.fail_json(msg=e.located(self.account_id(), self.region))
        except AwsIrError as e:
            self.fail_json(msg=str(e))
        except (ClientError, BotoCoreError) as e:
            if isinstance(e, ClientError) and throttled_code(e):
                # Throttled is not refused: the responder waits, where refused credentials or permissions need another fix.
                self.fail_json(msg=f"{aws_failure}: {describe_throttled(e, self.account, self.region)}",
                               error=e.response.get("Error"), response_metadata=e.response.get("ResponseMetadata"))
            self.fail_json_aws(e, msg=aws_failure + describe_not_repeated(e))
