"""GuardDuty GetFindings, which moto lacks: findings planted through /_lab/guardduty/findings, read by detector and id.

GuardDuty API Reference, GetFindings: POST /detector/{detectorId}/findings/get with findingIds
(0 to 50); the answer lists the findings found (unknown ids are left out, not an error); a
detector the caller does not own is a BadRequestException. Detectors are moto's (CreateDetector,
ListDetectors); a finding is planted under the detector its service.detectorId names.
"""
import copy
import threading

from moto.backends import get_backend

from lab.findings.errors import FindingsError

FINDING_IDS_MAX = 50


def _detectors(account, region):
    return get_backend("guardduty")[account][region].detectors


class GuardDutyFindings:
    ACTIONS = ("GetFindings",)

    def __init__(self):
        self.lock = threading.Lock()
        self.findings = {}  # (account, region, detector id) -> {finding id: finding (wire JSON)}

    def reset(self):
        with self.lock:
            self.findings.clear()

    def plant(self, finding):
        """Hold a finding (GuardDuty wire JSON) under its account, Region and detector; ValueError when it cannot be."""
        try:
            account, region, detector, finding_id = (finding["accountId"], finding["region"], finding["service"]["detectorId"], finding["id"])
        except (KeyError, TypeError) as error:
            raise ValueError(f"a GuardDuty finding needs accountId, region, id and service.detectorId: missing {error}") from None
        if detector not in _detectors(account, region):
            raise ValueError(f"GuardDuty has no detector {detector} in account {account}, Region {region}: CreateDetector first")
        with self.lock:
            self.findings.setdefault((account, region, detector), {})[finding_id] = copy.deepcopy(finding)
        return finding_id

    def dispatch(self, call, account):
        detector = call.params.get("DetectorId")
        if detector not in _detectors(account, call.region):
            raise FindingsError("BadRequestException", "The request is rejected because the input detectorId is not owned by the current account.")
        wanted = call.params.get("findingIds")
        if not isinstance(wanted, list) or len(wanted) > FINDING_IDS_MAX:
            raise FindingsError("BadRequestException", f"The request is rejected because findingIds must be a list of at most {FINDING_IDS_MAX} ids.")
        with self.lock:
            held = self.findings.get((account, call.region, detector), {})
            return {"findings": [copy.deepcopy(held[i]) for i in dict.fromkeys(wanted) if i in held]}
