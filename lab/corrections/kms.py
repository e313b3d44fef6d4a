"""KMS keys as AWS describes them, and Sign / Verify as AWS answers them."""
import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

from lab import moto_state
from lab.wire import error_response, json_response

_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def describe_key(call, account):
    """An AWS managed key (aliased alias/aws/..., as the aws/ebs key EBS creates) has KeyManager AWS; moto says CUSTOMER."""
    key_id = call.params.get("KeyId", "")
    if moto_state.aws_managed_key(account, call.region, key_id):
        moto_state.backend("kms", account, call.region).describe_key(key_id).key_manager = "AWS"
    return None


def _signing(call, account):
    """(key, cryptography private key, algorithm, hash or Prehashed, message) of a Sign/Verify moto would accept, else None."""
    try:
        key = moto_state.backend("kms", account, call.region).describe_key(call.params.get("KeyId", ""))
    except (KeyError, AttributeError):  # moto answers an unknown key in its own words
        return None
    algorithm = call.params.get("SigningAlgorithm")
    if key.key_usage != "SIGN_VERIFY" or algorithm not in key.signing_algorithms:
        return None
    chosen = _HASHES[algorithm[-3:]]()
    # MessageType DIGEST: the message is already the hash (KMS API Reference, Sign); moto hashes it again.
    hashing = utils.Prehashed(chosen) if call.params.get("MessageType") == "DIGEST" else chosen
    return key, key.private_key.private_key, algorithm, hashing, base64.b64decode(call.params.get("Message", ""))


def _scheme(private_key, algorithm, hashing, verifying=False):
    """The signature scheme arguments of cryptography's sign/verify; KMS's RSASSA_PSS salt is the digest's length (moto's the longest)."""
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return (ec.ECDSA(hashing),)
    if algorithm.startswith("RSASSA_PSS"):
        salt = padding.PSS.AUTO if verifying else padding.PSS.DIGEST_LENGTH
        return padding.PSS(mgf=padding.MGF1(_HASHES[algorithm[-3:]]()), salt_length=salt), hashing
    return padding.PKCS1v15(), hashing


def sign(call, account):
    """KMS Sign with MessageType DIGEST signs the digest given (moto signs its hash)."""
    found = _signing(call, account)
    if found is None or call.params.get("MessageType") != "DIGEST":
        return None
    key, private_key, algorithm, hashing, message = found
    signature = private_key.sign(message, *_scheme(private_key, algorithm, hashing))
    return json_response({"KeyId": key.arn, "Signature": base64.b64encode(signature).decode(), "SigningAlgorithm": algorithm})


def verify(call, account):
    """KMS Verify: DIGEST as in sign(); a signature that does not verify is KMSInvalidSignatureException (moto: SignatureValid false)."""
    found = _signing(call, account)
    if found is None:
        return None
    key, private_key, algorithm, hashing, message = found
    try:
        private_key.public_key().verify(base64.b64decode(call.params.get("Signature", "")), message, *_scheme(private_key, algorithm, hashing, verifying=True))
    except (InvalidSignature, ValueError):
        return error_response("json", "KMSInvalidSignatureException", "Signature verification failed.", 400)
    return json_response({"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": algorithm})
