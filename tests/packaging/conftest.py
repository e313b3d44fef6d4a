"""The collection as it will be released: a copy of the checkout with its changelog release built."""

import shutil

import pytest

from tests.packaging.support import BIN
from tests.packaging.support import REPO
from tests.packaging.support import checked
from tests.packaging.support import checkout_files
from tests.packaging.support import galaxy


@pytest.fixture(scope="session")
def release_tree(tmp_path_factory):
    """The checkout copied to .../ansible_collections/secops/aws_ir, with `antsibull-changelog release` run
    for galaxy.yml's version: Galaxy and ansible-lint need the changelog a release has. Until the release
    section is cut in the repository this builds it from the fragments; afterwards it changes nothing."""
    tree = tmp_path_factory.mktemp("release") / "ansible_collections" / "secops" / "aws_ir"
    for name in checkout_files():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, tree / name)
    checked([BIN / "antsibull-changelog", "release", "--version", galaxy()["version"]], cwd=tree)
    return tree


@pytest.fixture(scope="session")
def collection_tarball(release_tree, tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    checked([BIN / "ansible-galaxy", "collection", "build", "--output-path", out, release_tree])
    return out / f"secops-aws_ir-{galaxy()['version']}.tar.gz"
