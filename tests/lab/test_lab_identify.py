"""Every request is identified (service, action, params) and logged once; the control API is not."""
import json
import os
import subprocess
import sys
import urllib.request

import boto3
import pytest
from botocore.config import Config

from lab.identify import REDACTED

AWS_CLI = os.path.join(os.path.dirname(sys.executable), "aws")


def entries(lab):
    return [(entry["service"], entry["action"]) for entry in lab.requests()]


def test_query_protocol_services_and_params(lab, aws):
    aws("ec2").describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running"]}])
    aws("autoscaling").describe_auto_scaling_groups()
    aws("elb").describe_load_balancers()
    aws("elbv2").describe_load_balancers()
    aws("iam").list_roles()
    aws("sts").get_caller_identity()
    log = lab.requests()
    assert [(e["service"], e["action"]) for e in log] == [
        ("ec2", "DescribeInstances"), ("autoscaling", "DescribeAutoScalingGroups"), ("elb", "DescribeLoadBalancers"),
        ("elbv2", "DescribeLoadBalancers"), ("iam", "ListRoles"), ("sts", "GetCallerIdentity")]
    assert log[0]["params"] == {"Filter.1.Name": "instance-state-name", "Filter.1.Value.1": "running"}
    assert all(e["status"] == 200 and e["error_code"] is None and e["t"] <= e["t_end"] for e in log)


def test_json_protocol_services(lab, aws):
    aws("ssm").list_documents(MaxResults=5)
    aws("kms").list_keys()
    log = lab.requests()
    assert [(e["service"], e["action"]) for e in log] == [("ssm", "ListDocuments"), ("kms", "ListKeys")]
    assert log[0]["params"] == {"MaxResults": 5}


def test_s3_rest_actions(lab, aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="evidence", ObjectLockEnabledForBucket=True)
    s3.head_bucket(Bucket="evidence")
    s3.get_bucket_location(Bucket="evidence")
    s3.get_bucket_versioning(Bucket="evidence")
    s3.put_bucket_encryption(Bucket="evidence",
                             ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.get_bucket_encryption(Bucket="evidence")
    s3.get_object_lock_configuration(Bucket="evidence")
    s3.put_object(Bucket="evidence", Key="a/b.txt", Body=b"x", ChecksumAlgorithm="SHA256")
    s3.head_object(Bucket="evidence", Key="a/b.txt")
    s3.get_object(Bucket="evidence", Key="a/b.txt")
    s3.get_object_attributes(Bucket="evidence", Key="a/b.txt", ObjectAttributes=["Checksum"])
    s3.list_objects_v2(Bucket="evidence")
    s3.list_object_versions(Bucket="evidence")
    upload = s3.create_multipart_upload(Bucket="evidence", Key="big")["UploadId"]
    part = s3.upload_part(Bucket="evidence", Key="big", UploadId=upload, PartNumber=1, Body=b"y")
    s3.complete_multipart_upload(Bucket="evidence", Key="big", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    other = s3.create_multipart_upload(Bucket="evidence", Key="gone")["UploadId"]
    s3.abort_multipart_upload(Bucket="evidence", Key="gone", UploadId=other)
    s3.delete_object(Bucket="evidence", Key="a/b.txt")
    assert entries(lab) == [("s3", action) for action in (
        "CreateBucket", "HeadBucket", "GetBucketLocation", "GetBucketVersioning", "PutBucketEncryption", "GetBucketEncryption",
        "GetObjectLockConfiguration", "PutObject", "HeadObject", "GetObject", "GetObjectAttributes", "ListObjectsV2",
        "ListObjectVersions", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "CreateMultipartUpload",
        "AbortMultipartUpload", "DeleteObject")]
    assert lab.requests()[7]["params"] == {"bucket": "evidence", "key": "a/b.txt"}


def test_more_s3_bucket_actions(lab, aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="conf")
    s3.put_bucket_versioning(Bucket="conf", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket="conf", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.get_bucket_tagging(Bucket="conf")
    s3.put_public_access_block(Bucket="conf", PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    s3.get_public_access_block(Bucket="conf")
    s3.put_bucket_policy(Bucket="conf", Policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
    s3.get_bucket_policy(Bucket="conf")
    assert [action for _service, action in entries(lab)] == [
        "CreateBucket", "PutBucketVersioning", "PutBucketTagging", "GetBucketTagging", "PutPublicAccessBlock",
        "GetPublicAccessBlock", "PutBucketPolicy", "GetBucketPolicy"]


def test_user_agent_version_and_amz_header_names_are_logged(lab, aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True)
    version = s3.put_object(Bucket="locked", Key="k", Body=b"x", ChecksumAlgorithm="SHA256", ObjectLockMode="GOVERNANCE",
                            ObjectLockRetainUntilDate="2100-01-01T00:00:00Z", Tagging="Evidence=Yes")["VersionId"]
    tagged = boto3.client("s3", endpoint_url=lab.endpoint_url, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing", aws_session_token="session",
                          config=Config(user_agent_extra="APN/1.0 Ansible/2.19.14 secops.aws_ir/1.0.0"))
    tagged.get_object(Bucket="locked", Key="k", VersionId=version)
    put, get = lab.requests()[1:]
    assert {"x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-tagging", "x-amz-checksum-sha256"} <= set(put["amz_headers"])
    assert put["amz_headers"] == sorted(put["amz_headers"]) and "x-amz-date" not in put["amz_headers"]
    assert put["params"] == {"bucket": "locked", "key": "k"} and "Ansible/" not in put["user_agent"]
    assert get["params"] == {"bucket": "locked", "key": "k", "version_id": version}
    assert "x-amz-security-token" not in get["amz_headers"]  # a signature header, like the date
    assert get["user_agent"].endswith("APN/1.0 Ansible/2.19.14 secops.aws_ir/1.0.0")
    assert get["user_agent"].startswith("Boto3/")


def test_presigned_url_is_identified_and_redacted(lab, aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="shared")
    s3.put_object(Bucket="shared", Key="k", Body=b"payload")
    lab.clear_requests()
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "shared", "Key": "k"}, ExpiresIn=60)
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"payload"
    assert lab.requests()[0]["service"] == "s3" and lab.requests()[0]["action"] == "GetObject"
    assert lab.requests()[0]["params"] == {"bucket": "shared", "key": "k"}


def test_values_with_signatures_are_redacted(lab, aws, launch):
    instance_id = launch()[0]
    lab.clear_requests()
    aws("ec2").create_tags(Resources=[instance_id], Tags=[{"Key": "url", "Value": "https://x/?X-Amz-Signature=abc"}])
    assert lab.requests()[0]["params"]["Tag.1.Value"] == REDACTED
    assert lab.requests()[0]["params"]["ResourceId.1"] == instance_id


def test_counts_and_clear(lab, aws):
    for _attempt in range(3):
        aws("ec2").describe_instances()
    aws("s3").list_buckets()
    assert lab.counts() == {"ec2": {"DescribeInstances": 3}, "s3": {"ListBuckets": 1}}
    lab.clear_requests()
    assert lab.counts() == {} and lab.requests() == []


def test_control_api_is_not_logged(lab):
    lab.config()
    lab.counts()
    assert lab.requests() == []


def test_error_code_is_logged(lab, aws):
    with pytest.raises(aws("ec2").exceptions.ClientError):
        aws("ec2").describe_instances(InstanceIds=["i-0123456789abcdef0"])
    entry = lab.requests()[0]
    assert entry["status"] == 400 and entry["error_code"] == "InvalidInstanceID.NotFound"


def test_aws_cli_calls(lab):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    commands = [["ec2", "describe-instances"], ["s3api", "list-buckets"], ["ssm", "describe-instance-information"],
                ["elb", "describe-load-balancers"], ["elbv2", "describe-target-groups"]]
    for command in commands:
        result = subprocess.run([AWS_CLI, "--endpoint-url", lab.endpoint_url, "--output", "json", *command], env=env,
                                capture_output=True, text=True, timeout=60, check=True)
        json.loads(result.stdout)
    assert entries(lab) == [("ec2", "DescribeInstances"), ("s3", "ListBuckets"), ("ssm", "DescribeInstanceInformation"),
                            ("elb", "DescribeLoadBalancers"), ("elbv2", "DescribeTargetGroups")]
