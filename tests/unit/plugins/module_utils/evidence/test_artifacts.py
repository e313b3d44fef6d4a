import base64
import hashlib

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import read_artifact
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import s3_checksum

DATA = b"evidence bytes"
DIGEST = hashlib.sha256(DATA).digest()


class Body:
    def iter_chunks(self, size):
        yield DATA[:5]
        yield DATA[5:]


def test_a_full_object_sha256_checksum_must_equal_the_hash_of_the_bytes():
    stored = {"ChecksumSHA256": base64.b64encode(DIGEST).decode(), "ChecksumType": "FULL_OBJECT"}
    assert s3_checksum(stored, DIGEST)["matches"] is True
    assert s3_checksum(stored, hashlib.sha256(b"other").digest())["matches"] is False


def test_composite_and_crc_checksums_are_recorded_not_compared():
    composite = s3_checksum({"ChecksumSHA256": "abc=-3", "ChecksumType": "COMPOSITE"}, DIGEST)
    assert composite == {"algorithm": "SHA256", "value": "abc=-3", "type": "COMPOSITE"}
    assert s3_checksum({"ChecksumCRC64NVME": "AAAAAAAAAAA="}, DIGEST) == {"algorithm": "CRC64NVME", "value": "AAAAAAAAAAA=", "type": "FULL_OBJECT"}
    assert s3_checksum({}, DIGEST) is None


def test_read_back_asks_s3_for_its_checksum_and_hashes_every_byte(fake_client):
    client = fake_client(get_object={"Body": Body(), "VersionId": "v1", "ChecksumSHA256": base64.b64encode(DIGEST).decode()})
    found = read_artifact(client, "b", "k", keep_bytes=3, version_id="v1")
    assert client.calls == [("get_object", {"Bucket": "b", "Key": "k", "VersionId": "v1", "ChecksumMode": "ENABLED"})]
    assert (found["sha256"], found["size_bytes"], found["head"], found["s3_checksum"]["matches"]) == (DIGEST.hex(), len(DATA), b"evi", True)
