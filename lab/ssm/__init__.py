"""SSM Run Command emulator."""
from lab.ssm.emulator import SsmEmulator

__all__ = ["SsmEmulator"]
