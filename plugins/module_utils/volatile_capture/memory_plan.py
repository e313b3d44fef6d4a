# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The upload plan of a memory image: part size, presigned URLs, and how they reach the host.

The host gets no AWS credentials and the command text holds no URL. The module
presigns a GET for the tool and one UploadPart URL per planned part, gzips them
(one per line, the tool first) and base64-encodes them, and stores that text in
short-lived SecureString parameters (Advanced tier, 8 KB each, with an
Expiration policy so Parameter Store deletes them even if the module dies). The
command names the parameters; the host reads them with its own instance role
(ssm:GetParameters, part of AmazonSSMManagedInstanceCore) and the module deletes
them when the command ends. A 16 GiB instance needs about 200 URLs, 2 parameters.
"""

import base64
import datetime
import gzip
import json
import math

from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import normalize_ticket

MIB = 1 << 20
GIB = 1 << 30
# A part is the only piece of the image the host holds in memory at a time: about 1/128 of its RAM,
# a power of two between 8 MiB and 4 GiB (S3 parts are 5 MiB to 5 GiB, at most 10,000 of them).
PARTS_PER_MEMORY = 128
MIN_PART = 8 * MIB
MAX_PART = 4 * GIB
S3_MAX_PARTS = 10000
# Advanced-tier parameter values hold 8 KB; base64 text is one byte per character.
PARAMETER_VALUE_MAX = 8000
PARAMETER_ROOT = "/secops/aws_ir"
# SigV4 presigned URLs live at most 7 days.
PRESIGN_MAX_SECONDS = 7 * 24 * 3600
_MARGIN_SECONDS = 600


def part_size_for(memory_mib):
    """Bytes per part for an instance with this much memory (MiB, DescribeInstanceTypes MemoryInfo.SizeInMiB)."""
    size = MIN_PART
    while size < MAX_PART and (size * PARTS_PER_MEMORY < memory_mib * MIB or planned_parts(memory_mib, size) > S3_MAX_PARTS):
        size *= 2
    return size


def planned_parts(memory_mib, part_size):
    """How many part URLs to presign: the image can exceed the RAM size.

    A raw image (WinPmem) spans the physical address space, holes included (up to
    1 GiB below 4 GiB); a LiME image (AVML) adds a header per range. Memory plus
    one eighth plus 1 GiB covers both.
    """
    bound = memory_mib * MIB + memory_mib * MIB // 8 + GIB
    return min(S3_MAX_PARTS, math.ceil(bound / part_size))


def url_lifetime(delivery_seconds, execution_seconds):
    """Seconds the presigned URLs (and the parameters) live: the command's whole life plus a margin."""
    return min(PRESIGN_MAX_SECONDS, delivery_seconds + execution_seconds + _MARGIN_SECONDS)


def presign(s3, bucket, key, upload_id, parts, tool, lifetime):
    """[tool GET URL, UploadPart URL for part 1..parts]; local signing, no AWS call.

    s3: a client configured for SigV4 (signature_version "s3v4").
    tool: {"bucket", "key", "version_id"}.
    """
    get = {"Bucket": tool["bucket"], "Key": tool["key"]}
    if tool.get("version_id"):
        get["VersionId"] = tool["version_id"]
    urls = [s3.generate_presigned_url("get_object", Params=get, ExpiresIn=lifetime)]
    for number in range(1, parts + 1):
        urls.append(s3.generate_presigned_url("upload_part", Params={"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": number},
                                              ExpiresIn=lifetime))
    return urls


def encode(urls):
    """The parameter values carrying the URLs: base64 of gzip of one URL per line, cut to fit (list of str)."""
    text = base64.b64encode(gzip.compress("\n".join(urls).encode("utf-8"), 9)).decode("ascii")
    return [text[start:start + PARAMETER_VALUE_MAX] for start in range(0, len(text), PARAMETER_VALUE_MAX)]


def parameter_path(ticket, instance_id, stamp):
    """The folder of one acquisition's parameters: /secops/aws_ir/<ticket>/<instance>/memory-<stamp>."""
    return f"{PARAMETER_ROOT}/{normalize_ticket(ticket)}/{instance_id}/memory-{stamp}"


def parameter_names(path, count):
    return [f"{path}/plan-{number:02d}" for number in range(count)]


def expiration_policy(now, lifetime):
    """The Parameter Store Expiration policy (JSON text) that deletes a parameter after lifetime seconds."""
    at = (now + datetime.timedelta(seconds=lifetime)).astimezone(datetime.timezone.utc)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    return json.dumps([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": stamp}}])
