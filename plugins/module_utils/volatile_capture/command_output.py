# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A command's output as evidence: the stdout and stderr objects the SSM Agent wrote to S3, read back.

The API's StandardOutputContent (24,000 characters) and StandardErrorContent
(8,000) are cut; the objects hold everything, so size and hash come from them.
"""

from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import read_artifact
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_documents import output_key

# GetCommandInvocation returns at most this many characters of each stream.
API_LIMITS = {"stdout": 24000, "stderr": 8000}
# How much of an output object is kept in memory for parsing (steps, summaries).
PARSE_BYTES = 1 << 24


def read_outputs(client, output, command_id, instance_id, document, kind):
    """{stream: artifact} for the streams found in S3 (stdout, stderr); kind prefixes the artifact kind.

    Each artifact also has command_id, document_name, truncated_in_api (the object
    holds more characters than GetCommandInvocation returns) and "head" (its first
    PARSE_BYTES bytes, for the caller to parse and drop).
    """
    found = {}
    for stream, limit in API_LIMITS.items():
        artifact = read_artifact(client, output["bucket"], output_key(output["prefix"], command_id, instance_id, document, stream),
                                 keep_bytes=PARSE_BYTES)
        if artifact is None:
            continue
        artifact.update(kind=f"{kind}_{stream}", command_id=command_id, document_name=document,
                        truncated_in_api=len(artifact["head"].decode("utf-8", "replace")) > limit)
        found[stream] = artifact
    return found
