#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: evidence_manifest_info
version_added: 1.0.0
short_description: Read the current evidence manifest of an incident from S3
description:
  - Reads C(s3://<bucket>/<normalised ticket>/manifest.json), as M(secops.aws_ir.evidence_manifest)
    wrote it, and checks it against the manifest's JSON Schema. C(release.yml) reads with it the
    state each instance was in before the response.
  - Read-only; the read retries throttling like every call of the collection (C(SlowDown)).
    A manifest that does not exist is not an error (RV(exists) is false); one that is not JSON or
    does not follow the schema is.
  - To check the manifest's history and the evidence it lists, use M(secops.aws_ir.evidence_verify).
  - The request names the caller's account as C(ExpectedBucketOwner) (S3 refuses it when another account owns the bucket).
  - AWS APIs called; S3 C(GetObject); STS C(GetCallerIdentity).
author:
  - secops.aws_ir developers (@secops)
requirements:
  - jsonschema
options:
  bucket:
    description: The evidence bucket.
    type: str
    required: true
  bucket_owner:
    description:
      - The account id that must own O(bucket). Every S3 request on the bucket names it as C(ExpectedBucketOwner), and S3
        refuses the request (403 AccessDenied) when another account owns the bucket.
      - Defaults to the account of the credentials in use (STS C(GetCallerIdentity)). Set it when they are another
        account's, as when C(playbooks/analyze.yml) runs with the forensic account's role on the compromised account's bucket.
    type: str
extends_documentation_fragment:
  - secops.aws_ir.ticket
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the manifest of INC-123456
  secops.aws_ir.evidence_manifest_info:
    bucket: aws-ir-evidence-123456789012-us-east-1
    ticket: INC-123456
  register: case

- name: Show the state INC-123456's instances were in before the response
  ansible.builtin.debug:
    msg: "{{ case.manifest.instances | dict2items | map(attribute='value.state_before') }}"
  when: case.exists
"""

RETURN = r"""
exists:
  description: Whether the manifest exists.
  returned: always
  type: bool
  sample: true
manifest:
  description:
    - The current version of the manifest, or null when it does not exist.
    - Its keys are those of RV(secops.aws_ir.evidence_manifest#module:manifest); C(schemas/evidence-manifest-v1.json) has every field.
  returned: always
  type: dict
  sample:
    schema_version: 1
    ticket:
      raw: INC-123456
      normalized: INC-123456
    collection:
      name: secops.aws_ir
      version: 1.0.0
    region: us-east-1
    bucket: aws-ir-evidence-123456789012-us-east-1
    key: INC-123456/manifest.json
    created_at: '2026-11-29T20:15:09.310Z'
    updated_at: '2026-11-29T20:15:09.310Z'
    previous_version: null
    runs:
    - '...'
    actions:
    - '...'
    instances:
      i-0123456789abcdef0: '...'
s3_uri:
  description: Where the manifest is.
  returned: always
  type: str
  sample: s3://aws-ir-evidence-123456789012-us-east-1/INC-123456/manifest.json
version_id:
  description: S3 C(VersionId) of the version read, or null.
  returned: always
  type: str
  sample: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
sha256:
  description: SHA-256 (hex) of the bytes read, or null.
  returned: always
  type: str
  sample: 0b5ad5d28d3f0c6f3b3a3f9d7b6c1e2a4d5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b
stage:
  description: The workflow stage, C(record).
  returned: always
  type: str
  sample: record
"""

import json


from ansible_collections.secops.aws_ir.plugins.module_utils.evidence import manifest as model
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.artifacts import s3_uri
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_RECORD
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import validate_bucket_name
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.owner import evidence_client
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.store import read_current
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import DEFAULT_TICKET_PATTERN
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import normalize_ticket
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket


def do(module):
    params = module.params
    ticket = normalize_ticket(validate_ticket(params["ticket"], params["ticket_pattern"]))
    bucket = validate_bucket_name(params["bucket"])
    key = model.manifest_key(ticket)
    body, version = read_current(evidence_client(module, bucket), bucket, key)
    manifest = None
    if body is not None:
        try:
            manifest = json.loads(body)
        except ValueError as e:
            raise model.ManifestError(f"{s3_uri(bucket, key)} is not JSON: {e}") from None
        model.validate(manifest)
    module.exit_json(changed=False, exists=manifest is not None, manifest=manifest, s3_uri=s3_uri(bucket, key),
                     version_id=(version or {}).get("version_id"), sha256=(version or {}).get("sha256"))


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        bucket_owner=dict(type="str"),
        ticket=dict(type="str", required=True),
        ticket_pattern=dict(type="str", default=DEFAULT_TICKET_PATTERN),
    )
    module = AwsIrModule(stage=STAGE_RECORD, argument_spec=argument_spec, supports_check_mode=True)
    model.require_jsonschema(module)
    module.run(do, "the evidence manifest could not be read")


if __name__ == "__main__":
    main()
