"""The local AWS lab of secops.aws_ir: moto in server mode behind a middleware with an SSM Run Command emulator."""
from lab.harness import Lab

__all__ = ["Lab"]
