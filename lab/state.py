"""Everything the lab holds besides moto's own state, and the reset that clears it all."""
from lab.config import LabConfig
from lab.findings import FindingsEmulator
from lab.moto_state import reset_moto
from lab.requestlog import RequestLog
from lab.ssm import SsmEmulator


class LabState:
    """Configuration, request log, SSM emulator and findings emulator of one running lab."""

    def __init__(self, config=None):
        self.config = config or LabConfig()
        self.log = RequestLog()
        self.ssm = SsmEmulator(self.config)
        self.findings = FindingsEmulator()

    def reset(self):
        """Back to an empty lab: moto's state, SSM commands, planted findings, the log, and the configuration the lab started with."""
        self.ssm.reset()
        self.findings.reset()
        reset_moto()
        self.log.clear()
        self.config.reset()

    def close(self):
        self.ssm.close()
