# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The two AWS-owned Run Command documents we use, their shells and where the agent puts their output."""

from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.shell_quote import POSIX_SH
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.shell_quote import POWERSHELL

LINUX_DOCUMENT = "AWS-RunShellScript"
WINDOWS_DOCUMENT = "AWS-RunPowerShellScript"
SHELLS = {LINUX_DOCUMENT: POSIX_SH, WINDOWS_DOCUMENT: POWERSHELL}
# The SSM Agent's S3 key layout below PREFIX/COMMAND_ID/INSTANCE_ID/ for each document's plugin.
OUTPUT_PLUGIN_PATHS = {
    LINUX_DOCUMENT: "awsrunShellScript/0.awsrunShellScript",
    WINDOWS_DOCUMENT: "awsrunPowerShellScript/0.awsrunPowerShellScript",
}
# SSM PlatformType -> the name our options use for it.
PLATFORMS = {LINUX_DOCUMENT: "linux", WINDOWS_DOCUMENT: "windows"}


def document_for(platform_type):
    """The SSM document for an SSM PlatformType: PowerShell for Windows, shell for Linux and MacOS."""
    return WINDOWS_DOCUMENT if platform_type == "Windows" else LINUX_DOCUMENT


def output_key(prefix, command_id, instance_id, document, stream):
    """The key the SSM Agent writes a stream (stdout or stderr) to."""
    head = f"{prefix.rstrip('/')}/" if prefix else ""
    return f"{head}{command_id}/{instance_id}/{OUTPUT_PLUGIN_PATHS[document]}/{stream}"
