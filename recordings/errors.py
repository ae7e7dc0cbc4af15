"""The recordings app's one error type."""


class RecordingError(Exception):
    """A recording operation that cannot be done; the message is safe to show."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)
