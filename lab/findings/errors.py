"""An AWS error the findings emulators answer with (REST-JSON)."""


class FindingsError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
