"""What the chain of custody relies on in S3 and KMS, as AWS documents it: conditional writes decided atomically."""
import concurrent.futures
import datetime
import hashlib

import boto3
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from botocore.exceptions import ClientError


def _outcome(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return "ok"


def test_of_many_writes_if_none_match_at_once_exactly_one_succeeds_and_the_rest_get_precondition_failed(lab, aws):
    # S3 User Guide, "How to prevent object overwrites with conditional writes": If-None-Match: * succeeds only
    # when no object exists under the key; concurrent ones on one key: one wins, the others get 412 (or 409).
    s3 = aws("s3")
    s3.create_bucket(Bucket="lab-bucket")
    s3.put_bucket_versioning(Bucket="lab-bucket", VersioningConfiguration={"Status": "Enabled"})

    def write(n):
        return _outcome(lambda: s3.put_object(Bucket="lab-bucket", Key="INC-1/lease.json", Body=f"writer {n}".encode(), IfNoneMatch="*"))

    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(write, range(30)))
    assert outcomes.count("ok") == 1 and set(outcomes) <= {"ok", "PreconditionFailed", "ConditionalRequestConflict"}
    assert len(s3.list_object_versions(Bucket="lab-bucket")["Versions"]) == 1


def test_if_match_succeeds_only_on_the_etag_of_the_current_version(lab, aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="lab-bucket")
    s3.put_bucket_versioning(Bucket="lab-bucket", VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket="lab-bucket", Key="k", Body=b"one")["ETag"]
    second = s3.put_object(Bucket="lab-bucket", Key="k", Body=b"two", IfMatch=first)["ETag"]
    assert _outcome(lambda: s3.put_object(Bucket="lab-bucket", Key="k", Body=b"three", IfMatch=first)) == "PreconditionFailed"
    assert _outcome(lambda: s3.put_object(Bucket="lab-bucket", Key="k", Body=b"three", IfMatch=second)) == "ok"


def _other_account(aws, lab):
    """An S3 client acting in another lab account (111122223333), through STS AssumeRole as the lab's forensic account."""
    credentials = aws("sts").assume_role(RoleArn="arn:aws:iam::111122223333:role/other", RoleSessionName="other")["Credentials"]
    return boto3.client("s3", endpoint_url=lab.endpoint_url, region_name="us-east-1", aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])


def test_a_request_naming_another_expected_bucket_owner_is_refused_with_access_denied(lab, aws):
    # S3 User Guide, "Verifying bucket ownership with bucket owner condition": a bucket owned by another
    # account than ExpectedBucketOwner fails the request with 403 Access Denied; moto ignores the header.
    _other_account(aws, lab).create_bucket(Bucket="squatted-bucket")
    s3 = aws("s3")
    assert _outcome(lambda: s3.put_object(Bucket="squatted-bucket", Key="k", Body=b"x", ExpectedBucketOwner="123456789012")) == "AccessDenied"
    assert _outcome(lambda: s3.get_bucket_versioning(Bucket="squatted-bucket", ExpectedBucketOwner="123456789012")) == "AccessDenied"
    assert _outcome(lambda: s3.head_bucket(Bucket="squatted-bucket", ExpectedBucketOwner="123456789012")) == "403"
    assert _outcome(lambda: s3.put_object(Bucket="squatted-bucket", Key="k", Body=b"x", ExpectedBucketOwner="111122223333")) == "ok"
    assert [r["status"] for r in lab.requests() if r["action"] == "PutObject"] == [403, 200]


def test_kms_signs_a_digest_as_given_and_refuses_a_signature_that_does_not_verify(lab, aws):
    # KMS API Reference, Sign: with MessageType DIGEST the message is the digest, signed as is (moto hashes it
    # again); Verify: a signature that does not verify fails with KMSInvalidSignatureException (moto: SignatureValid false).
    kms = aws("kms")
    key = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]
    digest = hashlib.sha256(b"manifest version").digest()
    signed = kms.sign(KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    assert signed["KeyId"] == key["Arn"]
    public_key = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    public_key.verify(signed["Signature"], b"manifest version", ec.ECDSA(hashes.SHA256()))  # offline, raises if not

    def verify(message):
        return kms.verify(KeyId=key["KeyId"], Message=message, MessageType="DIGEST", Signature=signed["Signature"],
                          SigningAlgorithm="ECDSA_SHA_256")

    assert verify(digest)["SignatureValid"] is True and verify(digest)["KeyId"] == key["Arn"]
    assert _outcome(lambda: verify(hashlib.sha256(b"another version").digest())) == "KMSInvalidSignatureException"
    assert [r["action"] for r in lab.requests() if r["service"] == "kms"] == ["CreateKey", "Sign", "GetPublicKey", "Verify", "Verify", "Verify"]


# S3 API Reference, CopyObject and CreateMultipartUpload: both take x-amz-object-lock-mode, x-amz-object-lock-retain-until-date
# and x-amz-object-lock-legal-hold for the new object; neither carries a body, so neither takes a checksum of one (botocore's
# service model gives them no httpChecksum, unlike PutObject and UploadPart). A lock header on a bucket without Object Lock is
# refused with InvalidRequest. moto refuses such a copy without Content-MD5 and ignores the headers on CreateMultipartUpload.
_UNTIL = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def _locked_bucket(s3):
    s3.create_bucket(Bucket="locked-bucket", ObjectLockEnabledForBucket=True)
    return s3.put_object(Bucket="locked-bucket", Key="source", Body=b"evidence" * 1000)["VersionId"]


def test_a_copy_carrying_object_lock_headers_is_locked_from_the_moment_it_exists(lab, aws):
    s3 = aws("s3")
    source = _locked_bucket(s3)
    lab.clear_requests()
    copy = s3.copy_object(Bucket="locked-bucket", Key="copy", CopySource={"Bucket": "locked-bucket", "Key": "source", "VersionId": source},
                          ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=_UNTIL, ObjectLockLegalHoldStatus="ON")["VersionId"]
    [request] = lab.requests()
    assert request["action"] == "CopyObject" and "content-md5" not in request["amz_headers"]
    assert {"x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold"} <= set(request["amz_headers"])
    retention = s3.get_object_retention(Bucket="locked-bucket", Key="copy", VersionId=copy)["Retention"]
    assert retention["Mode"] == "COMPLIANCE" and retention["RetainUntilDate"] == _UNTIL
    assert s3.get_object_legal_hold(Bucket="locked-bucket", Key="copy", VersionId=copy)["LegalHold"]["Status"] == "ON"
    assert _outcome(lambda: s3.delete_object(Bucket="locked-bucket", Key="copy", VersionId=copy)) == "AccessDenied"


def test_a_copy_with_object_lock_headers_into_a_bucket_without_object_lock_is_refused(lab, aws):
    s3 = aws("s3")
    source = _locked_bucket(s3)
    s3.create_bucket(Bucket="plain-bucket")
    s3.put_bucket_versioning(Bucket="plain-bucket", VersioningConfiguration={"Status": "Enabled"})
    copy = {"Bucket": "plain-bucket", "Key": "copy", "CopySource": {"Bucket": "locked-bucket", "Key": "source", "VersionId": source},
            "ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": _UNTIL}
    assert _outcome(lambda: s3.copy_object(**copy)) == "InvalidRequest"
    upload = {k: v for k, v in copy.items() if k != "CopySource"}
    assert _outcome(lambda: s3.create_multipart_upload(**upload)) == "InvalidRequest"
    assert "Versions" not in s3.list_object_versions(Bucket="plain-bucket")


def test_a_multipart_copy_keeps_the_object_lock_of_its_create_multipart_upload(lab, aws):
    s3 = aws("s3")
    source = _locked_bucket(s3)
    upload = s3.create_multipart_upload(Bucket="locked-bucket", Key="parts", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=_UNTIL)
    part = s3.upload_part_copy(Bucket="locked-bucket", Key="parts", UploadId=upload["UploadId"], PartNumber=1,
                               CopySource={"Bucket": "locked-bucket", "Key": "source", "VersionId": source})
    done = s3.complete_multipart_upload(Bucket="locked-bucket", Key="parts", UploadId=upload["UploadId"],
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]})
    retention = s3.get_object_retention(Bucket="locked-bucket", Key="parts", VersionId=done["VersionId"])["Retention"]
    assert retention["Mode"] == "GOVERNANCE" and retention["RetainUntilDate"] == _UNTIL
    assert _outcome(lambda: s3.delete_object(Bucket="locked-bucket", Key="parts", VersionId=done["VersionId"])) == "AccessDenied"
