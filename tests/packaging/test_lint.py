"""ansible-lint (profile production, see .ansible-lint) and antsibull-changelog lint pass."""

from tests.packaging.support import BIN
from tests.packaging.support import REPO
from tests.packaging.support import checked


def test_ansible_lint_production_profile_passes(release_tree):
    done = checked([BIN / "ansible-lint", "--nocolor"], cwd=release_tree)
    assert "Profile 'production' was required, and it passed." in done.stdout + done.stderr


def test_changelog_fragments_and_configuration_lint_clean():
    checked([BIN / "antsibull-changelog", "lint"], cwd=REPO)
