"""Throttling and injected faults: the right code in each wire format, parsed by botocore, nothing forwarded."""
import pytest
from botocore.exceptions import ClientError


def _error(call):
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response


@pytest.mark.parametrize("service, call, code, status", [
    ("ec2", lambda aws: aws("ec2").describe_instances(), "RequestLimitExceeded", 503),
    ("autoscaling", lambda aws: aws("autoscaling").describe_auto_scaling_groups(), "Throttling", 400),
    ("elbv2", lambda aws: aws("elbv2").describe_target_groups(), "Throttling", 400),
    ("sts", lambda aws: aws("sts").get_caller_identity(), "Throttling", 400),
    ("ssm", lambda aws: aws("ssm").describe_instance_information(), "ThrottlingException", 400),
    ("kms", lambda aws: aws("kms").list_keys(), "ThrottlingException", 400),
    ("s3", lambda aws: aws("s3").list_buckets(), "SlowDown", 503),
])
def test_full_throttle_in_each_protocol(lab, aws, service, call, code, status):
    lab.configure(throttle={"fraction": 1.0})
    response = _error(lambda: call(aws))
    assert response["Error"]["Code"] == code
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    entry = lab.requests()[-1]
    assert (entry["service"], entry["status"], entry["error_code"]) == (service, status, code)


def test_throttled_head_request_has_no_body(lab, aws):
    aws("s3").create_bucket(Bucket="lab-bucket")
    lab.configure(throttle={"fraction": 1.0})
    response = _error(lambda: aws("s3").head_bucket(Bucket="lab-bucket"))
    # Like real S3: a HEAD error carries no body, so botocore only sees the status.
    assert response["Error"]["Code"] == "503"
    assert lab.requests()[-1]["error_code"] == "SlowDown"


def test_throttled_request_changes_nothing(lab, aws):
    lab.configure(throttle={"fraction": 1.0})
    _error(lambda: aws("ec2").create_vpc(CidrBlock="10.9.0.0/16"))
    lab.configure(throttle={"fraction": 0.0})
    cidrs = [vpc["CidrBlock"] for vpc in aws("ec2").describe_vpcs()["Vpcs"]]
    assert "10.9.0.0/16" not in cidrs


def _pattern(lab, aws, seed):
    lab.configure(throttle={"fraction": 0.33, "seed": seed})
    outcome = []
    for _attempt in range(60):
        try:
            aws("sts").get_caller_identity()
            outcome.append(False)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "Throttling"
            outcome.append(True)
    return outcome


def test_partial_throttle_is_seeded_and_about_a_third(lab, aws):
    first = _pattern(lab, aws, seed=7)
    assert 10 <= sum(first) <= 30
    assert _pattern(lab, aws, seed=7) == first


def test_fault_with_count(lab, aws, launch):
    instance_id = launch()[0]
    lab.configure(faults=[{"service": "ec2", "action": "CreateSnapshots", "code": "InternalError", "status": 500,
                           "message": "An internal error has occurred", "count": 2}])
    ec2 = aws("ec2")
    for _attempt in range(2):
        response = _error(lambda: ec2.create_snapshots(InstanceSpecification={"InstanceId": instance_id}))
        assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == ("InternalError", 500)
    assert ec2.create_snapshots(InstanceSpecification={"InstanceId": instance_id})["Snapshots"]
    assert lab.config()["faults"][0]["count"] == 0


def test_fault_after_lets_that_many_matching_requests_through_first(lab, aws):
    lab.configure(faults=[{"service": "sts", "action": "GetCallerIdentity", "code": "ExpiredToken", "status": 403, "count": 1, "after": 2}])
    sts = aws("sts")
    aws("s3").list_buckets()  # another API does not count
    sts.get_caller_identity()
    assert lab.config()["faults"][0]["after"] == 1
    sts.get_caller_identity()
    assert _error(sts.get_caller_identity)["Error"]["Code"] == "ExpiredToken"
    sts.get_caller_identity()
    assert [r["error_code"] for r in lab.requests() if r["action"] == "GetCallerIdentity"] == [None, None, "ExpiredToken", None]
    assert lab.config()["faults"][0] | {"message": None} == {"service": "sts", "action": "GetCallerIdentity", "code": "ExpiredToken", "status": 403,
                                                             "key": None, "message": None, "count": 0, "after": 0}


def test_fault_without_count_always_fails(lab, aws):
    lab.configure(faults=[{"service": "ssm", "action": "SendCommand", "code": "InvalidInstanceId", "count": None},
                          {"service": "s3", "action": "PutObject", "code": "AccessDenied", "status": 403}])
    for _attempt in range(3):
        assert _error(lambda: aws("ssm").send_command(InstanceIds=["i-0123456789abcdef0"], DocumentName="AWS-RunShellScript",
                                                      Parameters={"commands": ["date"]}))["Error"]["Code"] == "InvalidInstanceId"
    aws("s3").create_bucket(Bucket="lab-bucket")
    assert _error(lambda: aws("s3").put_object(Bucket="lab-bucket", Key="k", Body=b"x"))["Error"]["Code"] == "AccessDenied"


def test_bad_config_is_refused(lab):
    with pytest.raises(RuntimeError, match="400"):
        lab.configure(throttle={"fraction": 2})
    with pytest.raises(RuntimeError, match="400"):
        lab.configure(faults=[{"service": "ec2"}])
    with pytest.raises(RuntimeError, match="400"):
        lab.configure(faults=[{"code": "X", "after": -1}])
    assert lab.config()["throttle"] == {"fraction": 0.0, "seed": None}


def test_reset_restores_everything(lab, aws):
    aws("ec2").create_vpc(CidrBlock="10.9.0.0/16")
    lab.configure(throttle={"fraction": 1.0}, faults=[{"code": "X"}], ssm={"pending_seconds": 3})
    lab.reset()
    config = lab.config()
    assert config["throttle"] == {"fraction": 0.0, "seed": None} and config["faults"] == []
    assert config["ssm"]["pending_seconds"] == 0.05  # the value this lab was started with
    assert "10.9.0.0/16" not in [vpc["CidrBlock"] for vpc in aws("ec2").describe_vpcs()["Vpcs"]]
    assert lab.requests()[-1]["action"] == "DescribeVpcs" and len(lab.requests()) == 1


def test_a_moto_crash_is_an_internal_error_whose_traceback_is_in_the_server_log(lab, aws):
    image_id = aws("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance_id = aws("ec2").run_instances(ImageId=image_id, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    before = lab.server_log()
    response = _error(lambda: aws("autoscaling").set_instance_health(InstanceId=instance_id, HealthStatus="Unhealthy"))
    assert response["Error"]["Code"] == "InternalError"
    assert "Traceback" in lab.server_log()[len(before):]


def test_an_s3_fault_with_a_key_fails_only_writes_of_that_object(lab, aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="lab-bucket")
    lab.configure(faults=[{"service": "s3", "action": "PutObject", "key": "INC-1/manifest.json", "code": "AccessDenied", "status": 403,
                           "count": 1}])
    s3.put_object(Bucket="lab-bucket", Key="INC-1/lease.json", Body=b"other object")
    response = _error(lambda: s3.put_object(Bucket="lab-bucket", Key="INC-1/manifest.json", Body=b"{}"))
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDenied", 403)
    s3.put_object(Bucket="lab-bucket", Key="INC-1/manifest.json", Body=b"{}")  # the count is spent
    assert [v["Key"] for v in s3.list_object_versions(Bucket="lab-bucket")["Versions"]].count("INC-1/manifest.json") == 1
