# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: response_summary
short_description: The end-of-run summary of a response or release, from the evidence manifest
version_added: 1.0.0
author: secops.aws_ir contributors
description:
  - Turns the result of M(secops.aws_ir.evidence_manifest) into the text a responder reads at the end of
    C(respond.yml) or C(release.yml) - the manifest's URI, version and SHA-256 (and the C(verify.yml) command
    that pins them), the case report, a table with one line per instance (status, security groups per
    network interface by name and id, the Auto Scaling group and load balancers it left, protections,
    SSM command id, artifact count, snapshot ids, open items), the quarantine egress of each VPC and the
    facts that hold for every instance once, and what still needs a person, each item once with the
    instances it concerns.
  - When the run wrote no new manifest version (C(written) false), the first line says that this run changed
    nothing and names the unchanged version; the run it then describes is the last one recorded.
  - One line per instance, so fifty instances stay readable; the details are in the case report.
options:
  _input:
    description: The registered result of M(secops.aws_ir.evidence_manifest) (C(manifest), C(s3_uri), C(version_id), C(sha256), C(written)).
    type: dict
    required: true
  report:
    description: Whether the case report was written beside the manifest.
    type: bool
    default: true
  local_files:
    description: The local copies of the manifest and the report (in check mode, of the plan), to name in the summary.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Summarise the response
  ansible.builtin.debug:
    msg: "{{ record_result | secops.aws_ir.response_summary }}"
"""

RETURN = r"""
_value:
  description: The summary, lines separated by newlines (shown as a block by the YAML result format, so the table stays aligned).
  type: str
"""

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.secops.aws_ir.plugins.module_utils.record import terminal_summary


def response_summary(result, report=True, local_files=()):
    """The summary of an evidence_manifest result, as one multi-line string."""
    if not isinstance(result, dict) or "manifest" not in result:
        raise AnsibleFilterError("response_summary expects the registered result of secops.aws_ir.evidence_manifest")
    source = {"s3_uri": result.get("s3_uri"), "version_id": result.get("version_id"), "sha256": result.get("sha256"), "written": result.get("written")}
    # Plain JSON values: Ansible's lazy containers can be iterated only once in places.
    manifest = json.loads(json.dumps(result["manifest"]))
    return "\n".join(terminal_summary.render(manifest, source, list(local_files or []), report))


class FilterModule:
    """secops.aws_ir filters."""

    def filters(self):
        return {"response_summary": response_summary}
