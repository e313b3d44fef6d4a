"""Packaging tests: the collection as Galaxy, ansible-doc, ansible-lint, ansible-builder and AWX see it.

Every tool runs from the project's .venv (galaxy-importer from its own, see scripts/galaxy-importer),
offline, with no AWS credential or endpoint in its environment.
"""

import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COLLECTION = "secops.aws_ir"


def tool_environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", ANSIBLE_NOCOLOR="1", NO_COLOR="1", PY_COLORS="0")
    return env


def checked(command, cwd=REPO, timeout=600):
    """Run a tool; fail the test with its output when it fails. Returns the CompletedProcess."""
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=tool_environment(), capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(map(str, command))} exited {done.returncode}\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
    return done


def load_yaml(path):
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def galaxy():
    return load_yaml(REPO / "galaxy.yml")


def modules():
    return sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")


def roles():
    return sorted(p.name for p in (REPO / "roles").iterdir() if p.is_dir())


def checkout_files():
    """The files of the checkout that git knows or would add (what CI clones), relative paths."""
    listed = checked(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]).stdout
    return [name for name in listed.split("\0") if name and (REPO / name).is_file()]
