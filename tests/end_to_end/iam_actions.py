"""The IAM actions an AWS request needs, read from an entry of the lab's request log.

Most APIs are authorised by the IAM action of the same name under the service's prefix
(Service Authorization Reference, "Actions defined by ..." of each service). The exceptions
are tables here, each from the AWS page that documents it, so that a request the tables do
not know fails loudly instead of being guessed.
"""

# Lab service name -> IAM service prefix: classic ELB and ELBv2 share one prefix
# (Service Authorization Reference, Elastic Load Balancing and Elastic Load Balancing V2).
PREFIXES = {"elb": "elasticloadbalancing", "elbv2": "elasticloadbalancing"}

# APIs that need no permission. STS API Reference, GetCallerIdentity: "No permissions are
# required to perform this operation."
NO_PERMISSION = frozenset({("sts", "GetCallerIdentity")})

# S3 API -> (IAM actions, IAM actions when the request names a version). S3 User Guide,
# "Required permissions for Amazon S3 API operations".
S3_ACTIONS = {
    "AbortMultipartUpload": (("AbortMultipartUpload",), ("AbortMultipartUpload",)),
    "CompleteMultipartUpload": (("PutObject",), ("PutObject",)),
    "CopyObject": (("GetObject", "PutObject"), ("GetObjectVersion", "PutObject")),
    "CreateMultipartUpload": (("PutObject",), ("PutObject",)),
    "DeleteObject": (("DeleteObject",), ("DeleteObjectVersion",)),
    "GetBucketEncryption": (("GetEncryptionConfiguration",), None),
    "GetBucketLifecycleConfiguration": (("GetLifecycleConfiguration",), None),
    "GetBucketLocation": (("GetBucketLocation",), None),
    "GetBucketOwnershipControls": (("GetBucketOwnershipControls",), None),
    "GetBucketPolicy": (("GetBucketPolicy",), None),
    "GetBucketPolicyStatus": (("GetBucketPolicyStatus",), None),
    "GetBucketTagging": (("GetBucketTagging",), None),
    "GetBucketVersioning": (("GetBucketVersioning",), None),
    "GetObject": (("GetObject",), ("GetObjectVersion",)),
    "GetObjectAcl": (("GetObjectAcl",), ("GetObjectVersionAcl",)),
    "GetObjectAttributes": (("GetObject", "GetObjectAttributes"), ("GetObjectVersion", "GetObjectVersionAttributes")),
    "GetObjectLegalHold": (("GetObjectLegalHold",), ("GetObjectLegalHold",)),
    "GetObjectLockConfiguration": (("GetBucketObjectLockConfiguration",), None),
    "GetObjectRetention": (("GetObjectRetention",), ("GetObjectRetention",)),
    "GetObjectTagging": (("GetObjectTagging",), ("GetObjectVersionTagging",)),
    "GetPublicAccessBlock": (("GetBucketPublicAccessBlock",), None),
    "HeadBucket": (("ListBucket",), None),
    "HeadObject": (("GetObject",), ("GetObjectVersion",)),
    "ListMultipartUploads": (("ListBucketMultipartUploads",), None),
    "ListObjectVersions": (("ListBucketVersions",), None),
    "ListObjects": (("ListBucket",), None),
    "ListObjectsV2": (("ListBucket",), None),
    "ListParts": (("ListMultipartUploadParts",), None),
    "PutObject": (("PutObject",), ("PutObject",)),
    "PutObjectLegalHold": (("PutObjectLegalHold",), ("PutObjectLegalHold",)),
    "PutObjectRetention": (("PutObjectRetention",), ("PutObjectRetention",)),
    "PutObjectTagging": (("PutObjectTagging",), ("PutObjectVersionTagging",)),
    "UploadPart": (("PutObject",), ("PutObject",)),
    # A part copied from a source object: reading the source (its version when named), writing the destination.
    "UploadPartCopy": (("GetObject", "PutObject"), ("GetObjectVersion", "PutObject")),
}

# Request headers that need a further S3 action. S3 User Guide, "Required permissions for
# Amazon S3 API operations" (PutObject, CopyObject, CreateMultipartUpload) and "Configuring
# S3 Object Lock" (retention and legal hold set at upload; bypassing governance mode).
S3_HEADER_ACTIONS = {
    "x-amz-object-lock-mode": "PutObjectRetention",
    "x-amz-object-lock-retain-until-date": "PutObjectRetention",
    "x-amz-object-lock-legal-hold": "PutObjectLegalHold",
    "x-amz-tagging": "PutObjectTagging",
    "x-amz-acl": "PutObjectAcl",
    "x-amz-grant-full-control": "PutObjectAcl",
    "x-amz-grant-read": "PutObjectAcl",
    "x-amz-grant-read-acp": "PutObjectAcl",
    "x-amz-grant-write-acp": "PutObjectAcl",
    "x-amz-bypass-governance-retention": "BypassGovernanceRetention",
}

# Reading a key that does not exist answers 404 only with s3:ListBucket on the bucket, else 403
# AccessDenied (S3 API Reference, GetObject and HeadObject, "Permissions"): code that expects
# NoSuchKey needs s3:ListBucket although it never lists.
_S3_READS = frozenset({"GetObject", "HeadObject", "GetObjectAttributes"})
_S3_MISSING_KEY_CODES = frozenset({"NoSuchKey", "404"})

# EC2 requests that need more than their own action:
# - tags given at creation (TagSpecification.N): ec2:CreateTags on the new resource (EC2 User
#   Guide, "Grant permission to tag Amazon EC2 resources during creation");
# - an instance profile handed to an instance: iam:PassRole on its role (IAM User Guide, "Use an
#   IAM role to grant permissions to applications running on Amazon EC2 instances");
# - a customer managed KMS key for EBS: the KMS actions of EBS encryption (Amazon EBS User Guide,
#   "Requirements for Amazon EBS encryption", permissions for users).
_PASS_ROLE_APIS = frozenset({"AssociateIamInstanceProfile", "ReplaceIamInstanceProfileAssociation", "RunInstances"})
_EBS_KMS_ACTIONS = ("kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:ReEncryptFrom", "kms:ReEncryptTo")


class UnknownRequest(LookupError):
    """A request whose IAM actions no table here documents."""


def _s3_actions(request):
    try:
        plain, versioned = S3_ACTIONS[request["action"]]
    except KeyError:
        raise UnknownRequest(f"s3 {request['action']}: no IAM mapping; add it to S3_ACTIONS from the S3 User Guide, "
                             "'Required permissions for Amazon S3 API operations'") from None
    names_a_version = request["params"].get("version_id") or request["params"].get("copy_source_version_id")
    names = set(versioned if names_a_version and versioned else plain)
    names.update(S3_HEADER_ACTIONS[h] for h in request.get("amz_headers", ()) if h in S3_HEADER_ACTIONS)
    if request["action"] in _S3_READS and request.get("error_code") in _S3_MISSING_KEY_CODES:
        names.add("ListBucket")
    return {f"s3:{name}" for name in names}


def _ec2_extras(request):
    params = request["params"]
    extras = set()
    if any(key.startswith("TagSpecification.") for key in params):
        extras.add("ec2:CreateTags")
    if request["action"] in _PASS_ROLE_APIS and any(key.startswith("IamInstanceProfile.") for key in params):
        extras.add("iam:PassRole")
    if "KmsKeyId" in params:
        extras.update(_EBS_KMS_ACTIONS)
    return extras


def iam_actions(request):
    """The set of IAM actions ("service:Action") one logged request needs."""
    service, action = request["service"], request["action"]
    if (service, action) in NO_PERMISSION:
        return set()
    if service == "s3":
        return _s3_actions(request)
    needed = {f"{PREFIXES.get(service, service)}:{action}"}
    if service == "ec2":
        needed |= _ec2_extras(request)
    return needed
