# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Who is acting, where: the Region and the credentials the preflight checks before anything else."""

from ansible_collections.secops.aws_ir.plugins.module_utils.instances import TargetError
from ansible_collections.secops.aws_ir.plugins.module_utils.retry import throttled_code
from ansible_collections.secops.aws_ir.plugins.module_utils.targets import known_regions

try:
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK.


def validate_region(session, region):
    """Raise TargetError unless region is a Region botocore knows in any partition (session: the module's boto3 session)."""
    if not region:
        raise TargetError("region is required (set it, or AWS_REGION)")
    if region not in known_regions(session):
        raise TargetError(f"region {region!r} is not a known AWS Region")
    return region


def caller_identity(client):
    """{arn, account, user_id} of the credentials in use; TargetError if there are none or STS refuses them."""
    try:
        identity = client.get_caller_identity(aws_retry=True)
    except botocore.exceptions.NoCredentialsError:
        raise TargetError("no AWS credentials were found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                          "(and AWS_SESSION_TOKEN for temporary ones), or give profile / access_key / secret_key") from None
    except botocore.exceptions.ClientError as e:
        if throttled_code(e):
            raise  # reported as throttled (AwsIrModule.run), not as refused
        raise TargetError(f"the AWS credentials were refused by STS GetCallerIdentity: {e}") from None
    return {"arn": identity["Arn"], "account": identity["Account"], "user_id": identity["UserId"]}
