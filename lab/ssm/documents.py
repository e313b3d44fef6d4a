"""The SSM documents SendCommand accepts: the two AWS-owned script documents and any created in moto."""
import json
from dataclasses import dataclass

import yaml

from lab import moto_state
from lab.ssm.errors import SsmError

SHELL_PLUGIN = "aws:runShellScript"
POWERSHELL_PLUGIN = "aws:runPowerShellScript"
_PLATFORM_OF_PLUGIN = {SHELL_PLUGIN: "Linux", POWERSHELL_PLUGIN: "Windows"}


@dataclass(frozen=True)
class DocumentSpec:
    """What the emulator needs from a document."""

    name: str
    version: str
    plugin: str  # the action, e.g. aws:runShellScript
    step: str  # the step (plugin) name reported by GetCommandInvocation
    platform: str | None  # the only platform it runs on, or None for any
    builtin: bool = False

    @property
    def output_dir(self):
        """The agent's S3 sub-path for this plugin: awsrunShellScript/0.awsrunShellScript."""
        folder = self.plugin.replace(":", "")
        return f"{folder}/0.{folder}" if self.builtin else f"{folder}/{self.step}"


BUILTIN = {
    "AWS-RunShellScript": DocumentSpec("AWS-RunShellScript", "1", SHELL_PLUGIN, SHELL_PLUGIN, "Linux", True),
    "AWS-RunPowerShellScript": DocumentSpec("AWS-RunPowerShellScript", "1", POWERSHELL_PLUGIN, POWERSHELL_PLUGIN, "Windows", True),
}


def _first_step(document):
    content = document.content
    if isinstance(content, str):
        content = json.loads(content) if document.document_format == "JSON" else yaml.safe_load(content)
    steps = (content or {}).get("mainSteps") or [{"action": SHELL_PLUGIN, "name": "runShellScript"}]
    return steps[0]


def resolve(name, account, region):
    """The spec of a document by name; InvalidDocument when neither AWS nor moto knows it."""
    if name in BUILTIN:
        return BUILTIN[name]
    document = moto_state.ssm_document(account, region, name.rsplit("/", 1)[-1])
    if document is None:
        raise SsmError("InvalidDocument", "The specified document does not exist.")
    step = _first_step(document)
    plugin = step.get("action", SHELL_PLUGIN)
    return DocumentSpec(document.name, document.document_version, plugin, step.get("name", plugin), _PLATFORM_OF_PLUGIN.get(plugin))
