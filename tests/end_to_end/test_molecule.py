"""The molecule scenario (extensions/molecule/default) passes against a lab of its own:
create, converge, idempotence, verify and destroy."""

import os
import re
import subprocess
import sys
from pathlib import Path

from lab import Lab
from tests.end_to_end.support import REGION
from tests.end_to_end.support import REPO


def test_molecule_scenario_passes_against_the_lab():
    with Lab() as lab:  # its own: the scenario resets the lab at the start and the end
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOLECULE_"))}
        env.update(AWS_URL=lab.endpoint_url, AWS_REGION=REGION, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", NO_COLOR="1", ANSIBLE_NOCOLOR="1")
        done = subprocess.run([Path(sys.executable).parent / "molecule", "test", "--scenario-name", "default"], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=900, check=False)
        output = done.stdout + done.stderr
        assert done.returncode == 0, output[-8000:]
        for step in ("create", "converge", "idempotence", "verify", "destroy"):
            assert re.search(rf"default (➜|>) {step}: Executed: Successful", output), f"{step} did not run:\n{output[-4000:]}"
        assert lab.requests() == [], "destroy did not reset the lab"
