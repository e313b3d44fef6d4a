"""SendCommand: validate the request as AWS does and build the Command."""
import re
import time
import uuid

from lab import moto_state
from lab.ssm import documents, nodes
from lab.ssm.describe import INSTANCE_ID
from lab.ssm.errors import SsmError, validation
from lab.ssm.model import OUTCOMES, Command, Invocation

STATUS_TAG = "lab:command-status"
UPLOAD_TAG = "lab:s3-upload"
STDOUT_BYTES_TAG = "lab:stdout-bytes"
MISSING_TOOLS_TAG = "lab:missing-tools"
MAX_INSTANCES = 50
_SCRIPT_PARAMETERS = {"commands", "executionTimeout", "workingDirectory"}
_NUMBER = re.compile(r"^[0-9]+$")


def _instance_ids(params):
    if params.get("Targets"):
        raise SsmError("ValidationException", "The lab's SSM emulator supports InstanceIds only, not Targets.")
    ids = params.get("InstanceIds") or []
    if not ids:
        raise SsmError("ValidationException", "Either InstanceIds or Targets must be specified.")
    if len(ids) > MAX_INSTANCES:
        raise validation("instanceIds", ids, f"Member must have length less than or equal to {MAX_INSTANCES}")
    if len(set(ids)) != len(ids):
        raise SsmError("DuplicateInstanceId", "You cannot specify an instance ID in more than one association.")
    return ids


def _scalar_checks(params):
    comment = params.get("Comment", "")
    if len(comment) > 100:
        raise validation("comment", comment, "Member must have length less than or equal to 100")
    timeout = params.get("TimeoutSeconds", 3600)
    if not isinstance(timeout, int) or not 30 <= timeout <= 2592000:
        raise validation("timeoutSeconds", timeout, "Member must have value between 30 and 2592000")
    prefix = params.get("OutputS3KeyPrefix", "")
    if len(prefix) > 500:
        raise validation("outputS3KeyPrefix", prefix, "Member must have length less than or equal to 500")
    return comment, timeout


def _execution_timeout(parameters, document):
    """executionTimeout of the AWS script documents: a list of one string, 1..172800 seconds (default 3600)."""
    if not document.builtin:
        return 3600
    unknown = set(parameters) - _SCRIPT_PARAMETERS
    if unknown or not parameters.get("commands"):
        raise SsmError("InvalidParameters", "Parameters provided in the request are invalid: the document needs 'commands' "
                       f"and accepts only {sorted(_SCRIPT_PARAMETERS)}.")
    value = parameters.get("executionTimeout", ["3600"])
    if not isinstance(value, list) or len(value) != 1 or not _NUMBER.match(str(value[0])) or not 1 <= int(value[0]) <= 172800:
        raise SsmError("InvalidParameters", "executionTimeout must be a list of one string holding 1 to 172800 (seconds).")
    return int(value[0])


def _reachable_nodes(ids, document, account, region):
    """The nodes of the instance ids; InvalidInstanceId for any that is not Online, as AWS answers."""
    managed = nodes.managed_nodes(account, region)
    unreachable = [instance_id for instance_id in ids if not INSTANCE_ID.match(instance_id) or not getattr(managed.get(instance_id), "online", False)]
    if unreachable:
        raise SsmError("InvalidInstanceId", f"Instances {unreachable} not in a valid state for account {account}")
    wrong = [instance_id for instance_id in ids if document.platform and managed[instance_id].platform != document.platform]
    if wrong:
        raise SsmError("UnsupportedPlatformType", f"The document {document.name} is not supported on the platform of {wrong}.")
    return [managed[instance_id] for instance_id in ids]


def _invocation(command, node, visible_at):
    outcome = node.tags.get(STATUS_TAG, "Success")
    stdout_bytes = node.tags.get(STDOUT_BYTES_TAG, "0")
    return Invocation(
        command=command,
        node=node,
        outcome=outcome if outcome in OUTCOMES else "Success",
        s3_denied=node.tags.get(UPLOAD_TAG) == "denied",
        stdout_bytes=int(stdout_bytes) if stdout_bytes.isdigit() else 0,
        missing_tools=tuple(tool.strip() for tool in node.tags.get(MISSING_TOOLS_TAG, "").split(",") if tool.strip()),
        visible_at=visible_at,
    )


def build_command(params, account, region, absent_seconds):
    """The Command a valid SendCommand request creates (raises SsmError like AWS otherwise)."""
    ids = _instance_ids(params)
    comment, timeout = _scalar_checks(params)
    document = documents.resolve(params.get("DocumentName", ""), account, region)
    parameters = params.get("Parameters") or {}
    execution_timeout = _execution_timeout(parameters, document)
    targets = _reachable_nodes(ids, document, account, region)
    bucket = params.get("OutputS3BucketName") or None
    now = time.time()
    command = Command(
        command_id=str(uuid.uuid4()),
        document=document,
        document_version=params.get("DocumentVersion", "$DEFAULT"),
        comment=comment,
        parameters=parameters,
        bucket=bucket,
        prefix=params.get("OutputS3KeyPrefix", ""),
        # OutputS3Region is ignored by AWS: the bucket's own Region counts.
        s3_region=(moto_state.s3_bucket_region(bucket) if bucket else None) or params.get("OutputS3Region") or region,
        region=region,
        timeout_seconds=timeout,
        execution_timeout=execution_timeout,
        max_concurrency=params.get("MaxConcurrency", "50"),
        max_errors=params.get("MaxErrors", "0"),
        requested=now,
    )
    for node in targets:
        command.invocations[node.instance_id] = _invocation(command, node, now + absent_seconds)
    return command
