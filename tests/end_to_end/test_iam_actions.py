"""From a logged request to the IAM actions it needs (the tables in iam_actions.py, from the AWS documentation)."""

import pytest

from tests.end_to_end.iam_actions import UnknownRequest
from tests.end_to_end.iam_actions import iam_actions


def request(service, action, params=None, amz_headers=(), error_code=None):
    return {"service": service, "action": action, "params": params or {}, "amz_headers": list(amz_headers), "error_code": error_code}


@pytest.mark.parametrize("logged, needed", [
    # Same name under the service prefix; ELB and ELBv2 share "elasticloadbalancing".
    (request("ec2", "ModifyNetworkInterfaceAttribute"), {"ec2:ModifyNetworkInterfaceAttribute"}),
    (request("elb", "DeregisterInstancesFromLoadBalancer"), {"elasticloadbalancing:DeregisterInstancesFromLoadBalancer"}),
    (request("elbv2", "DeregisterTargets"), {"elasticloadbalancing:DeregisterTargets"}),
    (request("ssm", "SendCommand", {"OutputS3BucketName": "b"}), {"ssm:SendCommand"}),
    # STS GetCallerIdentity needs no permission.
    (request("sts", "GetCallerIdentity"), set()),
    # S3 APIs authorised by differently named actions.
    (request("s3", "ListObjectsV2", {"bucket": "b", "key": None}), {"s3:ListBucket"}),
    (request("s3", "ListObjectVersions", {"bucket": "b", "key": None}), {"s3:ListBucketVersions"}),
    (request("s3", "GetObjectLockConfiguration", {"bucket": "b", "key": None}), {"s3:GetBucketObjectLockConfiguration"}),
    (request("s3", "GetBucketEncryption", {"bucket": "b", "key": None}), {"s3:GetEncryptionConfiguration"}),
    (request("s3", "HeadBucket", {"bucket": "b", "key": None}), {"s3:ListBucket"}),
    (request("s3", "HeadObject", {"bucket": "b", "key": "k"}), {"s3:GetObject"}),
    (request("s3", "GetObject", {"bucket": "b", "key": "k", "version_id": "v1"}), {"s3:GetObjectVersion"}),
    (request("s3", "GetObjectAttributes", {"bucket": "b", "key": "k", "version_id": "v1"}),
     {"s3:GetObjectVersion", "s3:GetObjectVersionAttributes"}),
    (request("s3", "DeleteObject", {"bucket": "b", "key": "k", "version_id": "v1"}), {"s3:DeleteObjectVersion"}),
    # A missing key answers NoSuchKey only to a caller with s3:ListBucket (otherwise 403).
    (request("s3", "GetObject", {"bucket": "b", "key": "k"}, error_code="NoSuchKey"), {"s3:GetObject", "s3:ListBucket"}),
    (request("s3", "HeadObject", {"bucket": "b", "key": "k"}, error_code="404"), {"s3:GetObject", "s3:ListBucket"}),
    # Headers that ask for more: retention and tags set at upload.
    (request("s3", "PutObject", {"bucket": "b", "key": "k"},
             ("x-amz-checksum-sha256", "x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-tagging")),
     {"s3:PutObject", "s3:PutObjectRetention", "s3:PutObjectTagging"}),
    # EC2: tags at creation, an instance profile passed, a customer managed key for EBS.
    (request("ec2", "CreateSecurityGroup", {"GroupName": "g", "TagSpecification.1.ResourceType": "security-group"}),
     {"ec2:CreateSecurityGroup", "ec2:CreateTags"}),
    (request("ec2", "ReplaceIamInstanceProfileAssociation", {"IamInstanceProfile.Arn": "arn"}),
     {"ec2:ReplaceIamInstanceProfileAssociation", "iam:PassRole"}),
    (request("ec2", "CopySnapshot", {"SourceSnapshotId": "snap-1", "Encrypted": "true", "KmsKeyId": "arn"}),
     {"ec2:CopySnapshot", "kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom", "kms:ReEncryptTo"}),
], ids=lambda value: value["action"] if isinstance(value, dict) else "")
def test_iam_actions_of_a_request(logged, needed):
    assert iam_actions(logged) == needed


def test_an_s3_api_without_a_documented_mapping_is_refused_not_guessed():
    with pytest.raises(UnknownRequest, match="s3 SelectObjectContent"):
        iam_actions(request("s3", "SelectObjectContent", {"bucket": "b", "key": "k"}))
