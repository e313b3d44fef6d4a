"""KMS keys as AWS describes them."""
from lab import moto_state


def describe_key(call, account):
    """An AWS managed key (aliased alias/aws/..., as the aws/ebs key EBS creates) has KeyManager AWS; moto says CUSTOMER."""
    key_id = call.params.get("KeyId", "")
    if moto_state.aws_managed_key(account, call.region, key_id):
        moto_state.backend("kms", account, call.region).describe_key(key_id).key_manager = "AWS"
    return None
