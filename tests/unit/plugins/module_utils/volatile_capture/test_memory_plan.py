import base64
import datetime
import gzip
import json
from urllib.parse import parse_qs
from urllib.parse import urlparse

import boto3
from botocore.config import Config

from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture import memory_plan
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory_plan import GIB
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory_plan import MIB

# S3 multipart limits (S3 User Guide, "Amazon S3 multipart upload limits").
S3_MIN_PART, S3_MAX_PART, S3_MAX_PARTS = 5 * MIB, 5 * GIB, 10000


def test_parts_are_about_a_128th_of_memory_within_s3_limits():
    assert memory_plan.part_size_for(512) == 8 * MIB          # t3.nano: never below 8 MiB
    assert memory_plan.part_size_for(1024) == 8 * MIB         # t3.micro
    assert memory_plan.part_size_for(16 * 1024) == 128 * MIB  # 16 GiB
    for memory_mib in (512, 1024, 16 * 1024, 768 * 1024, 24 * 1024 * 1024):
        size = memory_plan.part_size_for(memory_mib)
        parts = memory_plan.planned_parts(memory_mib, size)
        assert S3_MIN_PART <= size <= S3_MAX_PART and size & (size - 1) == 0
        assert parts <= S3_MAX_PARTS
        # Enough parts for an image larger than the RAM (raw images span the PCI hole; LiME adds headers).
        assert parts * size >= memory_mib * MIB + GIB


def test_plan_packs_urls_into_advanced_parameter_values_of_at_most_8_kb():
    urls = [f"https://bucket.s3.amazonaws.com/key?partNumber={n}&X-Amz-Signature={n:064x}" for n in range(2000)]
    values = memory_plan.encode(urls)
    assert len(values) > 1 and all(0 < len(v) <= 8000 for v in values)
    assert gzip.decompress(base64.b64decode("".join(values))).decode().split("\n") == urls


def test_presign_makes_a_tool_get_and_one_upload_part_url_per_part_without_calling_aws():
    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                      aws_session_token="session-token-example", config=Config(signature_version="s3v4"))
    tool = {"bucket": "tools", "key": "avml", "version_id": "v1"}
    urls = memory_plan.presign(s3, "evidence", "INC-1/memory/i-1/memory.lime", "upload-1", 3, tool, 3600)
    assert len(urls) == 4
    get = urlparse(urls[0])
    assert get.path.endswith("/avml") and parse_qs(get.query)["versionId"] == ["v1"]
    for number, url in enumerate(urls[1:], start=1):
        query = parse_qs(urlparse(url).query)
        assert (query["partNumber"], query["uploadId"], query["X-Amz-Expires"]) == ([str(number)], ["upload-1"], ["3600"])
        assert query["X-Amz-Security-Token"] == ["session-token-example"]


def test_url_lifetime_covers_the_command_and_never_exceeds_sigv4s_seven_days():
    assert memory_plan.url_lifetime(600, 7200) == 600 + 7200 + 600
    assert memory_plan.url_lifetime(2592000, 172800) == 7 * 24 * 3600


def test_parameters_live_under_our_own_root_with_an_expiration_policy():
    path = memory_plan.parameter_path("INC 42/x", "i-0abc", "20261129T201501Z")
    assert path == "/secops/aws_ir/INC-42-X/i-0abc/memory-20261129T201501Z"
    # Names beginning with aws or ssm are reserved (Parameter Store).
    assert not path.lstrip("/").lower().startswith(("aws", "ssm"))
    assert memory_plan.parameter_names(path, 2) == [f"{path}/plan-00", f"{path}/plan-01"]
    now = datetime.datetime(2026, 11, 29, 20, 15, 1, 250000, tzinfo=datetime.timezone.utc)
    assert json.loads(memory_plan.expiration_policy(now, 3600)) == [
        {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2026-11-29T21:15:01.250Z"}}]
