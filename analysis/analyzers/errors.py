from __future__ import annotations


class MediaError(ValueError):
    """Media that cannot be analyzed (not an image, truncated, too large, wrong audio format).

    ``reason`` is a stable machine-readable code; the message is for people.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
