"""Security Hub GetFindings with its filters, and BatchUpdateFindings, over moto's findings.

moto keeps imported findings (BatchImportFindings) but its GetFindings ignores Filters and it has no
BatchUpdateFindings. Security Hub API Reference:
- GetFindings: StringFilter comparisons EQUALS, PREFIX, NOT_EQUALS, PREFIX_NOT_EQUALS; values of one
  field with EQUALS or PREFIX are OR'ed, with NOT_EQUALS or PREFIX_NOT_EQUALS AND'ed; fields are AND'ed;
  MaxResults 1 to 100 (default 100) and NextToken.
- BatchUpdateFindings: 1 to 100 FindingIdentifiers (Id and ProductArn); Note needs Text and UpdatedBy
  (each at most 512 characters); the answer lists ProcessedFindings and UnprocessedFindings (ErrorCode
  FindingNotFound "Finding Not Found", DuplicatedFindingIdentifier "Finding Identifier is duplicated");
  Note.UpdatedAt is set; the finding's own UpdatedAt is not changed by BatchUpdateFindings.
- An account without Security Hub enabled: InvalidAccessException.
The lab emulates the Workflow and Note fields of BatchUpdateFindings only, and refuses the others.
"""
import datetime
import json

from moto.backends import get_backend

from lab.findings.errors import FindingsError

UPDATE_MAX = 100
NOTE_MAX = 512
_DUPLICATED = {"ErrorCode": "DuplicatedFindingIdentifier", "ErrorMessage": "Finding Identifier is duplicated"}
_NOT_FOUND = {"ErrorCode": "FindingNotFound", "ErrorMessage": "Finding Not Found"}
_EMULATED_UPDATES = {"FindingIdentifiers", "Note", "Workflow"}
_WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
# Filter field -> how to read its values from an ASFF finding.
_FIELDS = {
    "Id": lambda f: [f.get("Id")],
    "ProductArn": lambda f: [f.get("ProductArn")],
    "AwsAccountId": lambda f: [f.get("AwsAccountId")],
    "GeneratorId": lambda f: [f.get("GeneratorId")],
    "Region": lambda f: [f.get("Region")],
    "Type": lambda f: list(f.get("Types") or []),
    "SeverityLabel": lambda f: [(f.get("Severity") or {}).get("Label")],
    "WorkflowStatus": lambda f: [(f.get("Workflow") or {}).get("Status")],
    "RecordState": lambda f: [f.get("RecordState")],
    "ResourceType": lambda f: [r.get("Type") for r in f.get("Resources") or []],
    "ResourceId": lambda f: [r.get("Id") for r in f.get("Resources") or []],
}
_POSITIVE = {"EQUALS": lambda v, x: v == x, "PREFIX": lambda v, x: v.startswith(x)}
_NEGATIVE = {"NOT_EQUALS": lambda v, x: v != x, "PREFIX_NOT_EQUALS": lambda v, x: not v.startswith(x)}


def _backend(account, region):
    backend = get_backend("securityhub")[account][region]
    if not backend.enabled:
        raise FindingsError("InvalidAccessException", f"Account {account} is not subscribed to AWS Security Hub", 401)
    return backend


def _field_matches(values, conditions):
    values = [v for v in values if isinstance(v, str)]
    positive = [c for c in conditions if c.get("Comparison") in _POSITIVE]
    negative = [c for c in conditions if c.get("Comparison") in _NEGATIVE]
    if positive and not any(_POSITIVE[c["Comparison"]](v, c["Value"]) for c in positive for v in values):
        return False
    return all(_NEGATIVE[c["Comparison"]](v, c["Value"]) for c in negative for v in values)


def _check_filters(filters):
    for name, conditions in filters.items():
        if name not in _FIELDS:
            raise FindingsError("InvalidInputException", f"the lab does not emulate the GetFindings filter {name!r} (it emulates {sorted(_FIELDS)})")
        for condition in conditions:
            if condition.get("Comparison") not in {**_POSITIVE, **_NEGATIVE}:
                raise FindingsError("InvalidInputException", f"the lab does not emulate the comparison {condition.get('Comparison')!r} of filter {name}")


def get_findings(params, account, region):
    backend = _backend(account, region)
    filters = params.get("Filters") or {}
    _check_filters(filters)
    limit = params.get("MaxResults") or 100
    if not 1 <= int(limit) <= 100:
        raise FindingsError("InvalidInputException", "MaxResults must be a number between 1 and 100")
    start = int(params.get("NextToken") or 0)
    found = [f.data for f in backend.findings if all(_field_matches(_FIELDS[n](f.data), c) for n, c in filters.items())]
    page = found[start:start + int(limit)]
    answer = {"Findings": json.loads(json.dumps(page))}
    if start + int(limit) < len(found):
        answer["NextToken"] = str(start + int(limit))
    return answer


def _check_update(params):
    extra = sorted(set(params) - _EMULATED_UPDATES)
    if extra:
        raise FindingsError("InvalidInputException", f"the lab emulates only Workflow and Note of BatchUpdateFindings, not {extra}")
    identifiers = params.get("FindingIdentifiers")
    if not isinstance(identifiers, list) or not 1 <= len(identifiers) <= UPDATE_MAX:
        raise FindingsError("InvalidInputException", f"FindingIdentifiers must hold 1 to {UPDATE_MAX} findings")
    note = params.get("Note")
    if note is not None and not (isinstance(note.get("Text"), str) and isinstance(note.get("UpdatedBy"), str)
                                 and 0 < len(note["Text"]) <= NOTE_MAX and 0 < len(note["UpdatedBy"]) <= NOTE_MAX):
        raise FindingsError("InvalidInputException", f"Note needs Text and UpdatedBy, each 1 to {NOTE_MAX} characters")
    status = (params.get("Workflow") or {}).get("Status")
    if "Workflow" in params and status not in _WORKFLOW_STATUSES:
        raise FindingsError("InvalidInputException", f"Workflow.Status must be one of {list(_WORKFLOW_STATUSES)}")
    return identifiers, note, status


def batch_update_findings(params, account, region):
    backend = _backend(account, region)
    identifiers, note, status = _check_update(params)
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    keys = [(i.get("Id"), i.get("ProductArn")) for i in identifiers]
    processed, unprocessed = [], []
    for identifier, key in zip(identifiers, keys):
        finding = next((f.data for f in backend.findings if (f.data.get("Id"), f.data.get("ProductArn")) == key), None)
        if keys.count(key) > 1:
            unprocessed.append(dict(_DUPLICATED, FindingIdentifier=identifier))
        elif finding is None:
            unprocessed.append(dict(_NOT_FOUND, FindingIdentifier=identifier))
        else:
            if status:
                finding["Workflow"] = {"Status": status}
            if note:
                finding["Note"] = {"Text": note["Text"], "UpdatedBy": note["UpdatedBy"], "UpdatedAt": now}
            processed.append(identifier)
    return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}
