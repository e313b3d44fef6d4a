# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Manifest versions signed with an asymmetric KMS key: the chain then proves who wrote it, not only in what order.

A writer with s3:PutObject on the bucket can append a version whose previous_version and SHA-256 are right;
without kms:Sign on the signing key it cannot sign it. The signature (KMS Sign of the version's SHA-256,
MessageType DIGEST), the algorithm and the key's ARN travel as the version's own S3 user metadata: written
in the same PutObject, so a version and its signature cannot be separated or written apart, and no
second object has to be kept in step (docs/chain-of-custody.md).
"""

import base64

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import NotFoundError

SIGNATURE = "manifest-signature"
SIGNING_KEY = "manifest-signing-key"
SIGNING_ALGORITHM = "manifest-signing-algorithm"
# The first of these the key offers is used: SHA-256, as the manifest's own digest.
_PREFERRED = ("ECDSA_SHA_256", "RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256")
WITHOUT_KEY = ("no manifest signing key (manifest_signing_key) is set: the hash chain proves the order of the manifest's versions, "
               "not who wrote them; anyone with s3:PutObject on the bucket can append a version that follows it")


class SigningKeyError(AwsIrError):
    """A signing key that cannot sign manifests; the message names the key and why."""


def signing_key(kms, key_id):
    """{"key_arn", "key_spec", "algorithm"} of key_id (id, ARN or alias) after checking it can sign (KMS DescribeKey)."""
    try:
        metadata = kms.describe_key(aws_retry=True, KeyId=key_id)["KeyMetadata"]
    except is_boto3_error_code(["NotFoundException", "NotFound"]):
        raise NotFoundError(f"manifest_signing_key {key_id!r} does not exist in {{where}} (KMS DescribeKey)") from None
    if metadata.get("KeyUsage") != "SIGN_VERIFY":
        raise SigningKeyError(f"manifest_signing_key {key_id!r} has KeyUsage {metadata.get('KeyUsage')}: an asymmetric key "
                              "with KeyUsage SIGN_VERIFY (ECC_NIST_P256 or RSA) is needed")
    if metadata.get("KeyState") != "Enabled":
        raise SigningKeyError(f"manifest_signing_key {key_id!r} is {metadata.get('KeyState')}, not Enabled")
    algorithm = next((a for a in _PREFERRED if a in metadata.get("SigningAlgorithms", [])), None)
    if algorithm is None:
        raise SigningKeyError(f"manifest_signing_key {key_id!r} offers none of {', '.join(_PREFERRED)} "
                              f"(it offers {', '.join(metadata.get('SigningAlgorithms', []))})")
    return {"key_arn": metadata["Arn"], "key_spec": metadata.get("KeySpec"), "algorithm": algorithm}


def preflight_signing(kms_client, key_id):
    """(facts of the signing key or None, warnings) for the preflight: the key checked, or the plain statement that there is none.

    kms_client: a function that returns a KMS client (called only with a key to check).
    """
    if not key_id:
        return None, [WITHOUT_KEY]
    return signing_key(kms_client(), key_id), []


def sign(kms, key, digest_hex):
    """The S3 user metadata that signs a version whose SHA-256 is digest_hex (KMS Sign, MessageType DIGEST)."""
    response = kms.sign(aws_retry=True, KeyId=key["key_arn"], Message=bytes.fromhex(digest_hex), MessageType="DIGEST",
                        SigningAlgorithm=key["algorithm"])
    return {SIGNATURE: base64.b64encode(response["Signature"]).decode(), SIGNING_KEY: response["KeyId"],
            SIGNING_ALGORITHM: response["SigningAlgorithm"]}


def signature_problem(kms, key, metadata, digest_hex):
    """Why a version (its S3 user metadata, its SHA-256) is not signed by key, or None when it is (KMS Verify)."""
    if not metadata.get(SIGNATURE):
        return "is not signed: forged, or written without the signing key"
    if metadata.get(SIGNING_KEY) != key["key_arn"]:
        return f"is signed with {metadata.get(SIGNING_KEY)}, not with the signing key {key['key_arn']}: forged"
    try:
        valid = kms.verify(aws_retry=True, KeyId=key["key_arn"], Message=bytes.fromhex(digest_hex), MessageType="DIGEST",
                           Signature=base64.b64decode(metadata[SIGNATURE]),
                           SigningAlgorithm=metadata.get(SIGNING_ALGORITHM) or key["algorithm"])["SignatureValid"]
    except is_boto3_error_code("KMSInvalidSignatureException"):
        valid = False
    return None if valid else f"its signature does not verify with {key['key_arn']}: forged, or changed after it was signed"
