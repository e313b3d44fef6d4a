"""SSM API errors the emulator answers with (JSON protocol, HTTP 400)."""


class SsmError(Exception):
    """An error in the AWS shape: ``code`` becomes ``__type``."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def validation(field_name, value, constraint):
    """A ValidationException worded as AWS words them."""
    return SsmError("ValidationException", f"1 validation error detected: Value '{value}' at '{field_name}' failed to satisfy constraint: {constraint}")
