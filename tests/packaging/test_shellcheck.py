"""Every shell script of the repository passes shellcheck. ansible-test sanity's shellcheck test reads only
files named *.sh; the scripts under scripts/ have no extension, so they are checked here as well."""

import shutil

import pytest

from tests.packaging.support import REPO
from tests.packaging.support import checked
from tests.packaging.support import checkout_files


def shell_scripts():
    scripts = []
    for name in checkout_files():
        with (REPO / name).open("rb") as handle:
            first = handle.readline()
        if name.endswith(".sh") or first.startswith(b"#!") and first.rstrip().endswith((b"bash", b"/sh")):
            scripts.append(name)
    return sorted(scripts)


def test_shellcheck_is_installed():
    # scripts/test installs it (scripts/ensure-shellcheck): a missing one would skip a sanity test silently.
    assert shutil.which("shellcheck")


@pytest.mark.parametrize("script", shell_scripts())
def test_the_script_passes_shellcheck(script):
    checked(["shellcheck", "--external-sources", script])
