# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where the evidence of a case is, when its instances are in several accounts and Regions, and how verify reaches it.

A response with member_role records account_id and region under each action (docs/accounts-and-regions.md): an instance
is where its containment, volatile capture and snapshots were made (the finding's detection actions are made where the
case is kept, so they do not place an instance). A manifest without them (one account and Region) places nothing: its
instances are in the manifest's own Region and account.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_CONTAINMENT
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_SNAPSHOT
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_VOLATILE_CAPTURE
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import TargetError
from ansible_collections.secops.aws_ir.plugins.module_utils.targets import assume_member_role
from ansible_collections.secops.aws_ir.plugins.module_utils.targets import member_role_arn

_PLACING_STAGES = (STAGE_CONTAINMENT, STAGE_VOLATILE_CAPTURE, STAGE_SNAPSHOT)


def instance_places(manifest):
    """{instance id: {"account_id", "region"}} of the instances whose actions record where they were made."""
    places = {}
    for action in manifest.get("actions") or []:
        if action.get("account_id") and action.get("stage") in _PLACING_STAGES:
            for instance_id in action.get("instance_ids") or []:
                places.setdefault(instance_id, {"account_id": action["account_id"], "region": action["region"]})
    return places


class Unreachable(Exception):
    """Evidence in an account verify cannot read: the message says where it is and what would reach it."""


class MemberReach:
    """Client options for the accounts of a case: none for the verifying account, a member role's credentials for another.

    module: the verify module (its client, caller identity, ticket); member_role: the template of the member roles (empty:
    other accounts cannot be read). Each role is assumed once per verify run; a case of one account asks STS nothing.
    """

    def __init__(self, module, member_role):
        self.module, self.member_role = module, member_role
        self._options = {}

    def options(self, account_id):
        """Client options to read account_id's evidence (None: the case's own); Unreachable naming the account when they cannot be had."""
        if account_id is None:
            return {}
        home_account = self.module.caller_identity()["Account"]
        if account_id == home_account:
            return {}
        if not self.member_role:
            raise Unreachable(f"it is in account {account_id}, which these credentials (account {home_account}) do not reach: "
                              "give member_role")
        if account_id not in self._options:
            try:
                role_arn = member_role_arn(self.member_role, account_id)
                self._options[account_id] = assume_member_role(self.module.client, role_arn, self.module.params["ticket"], field="member_role")
            except TargetError as e:
                raise Unreachable(str(e)) from None
        return self._options[account_id]
