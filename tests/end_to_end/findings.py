"""The sample findings (tests/fixtures/findings) aimed at the instances of a lab estate."""

import json

from tests.end_to_end.support import REPO

FIXTURES = REPO / "tests" / "fixtures" / "findings"
# What the samples name, replaced by the estate's own ids.
SAMPLE_INSTANCES = ("i-0123456789abcdef0", "i-0fedcba9876543210")
SAMPLE_DETECTOR = "12c6b1fd2b3e8e1c5a7d4f0e9b2c3a40"
SAMPLE_ACCOUNT = "123456789012"


def sample(name, instance_ids=(), detector=None, account=None):
    """The sample named, with its instances, detector and finding account replaced."""
    text = (FIXTURES / name).read_text()
    for old, new in zip(SAMPLE_INSTANCES, instance_ids):
        text = text.replace(old, new)
    if detector:
        text = text.replace(SAMPLE_DETECTOR, detector)
    if account:
        text = text.replace(f'"accountId": "{SAMPLE_ACCOUNT}"', f'"accountId": "{account}"')
    return json.loads(text)


def canonical(finding):
    """The bytes finding_evidence stores for a finding (sorted keys, two-space indent, final newline)."""
    return (json.dumps(finding, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
