"""One error path for everything a writer can get wrong.

Library code raises :class:`DrafterError` (bad data: exit 1) or :class:`UsageError` (bad options:
exit 2) with a one-line Chinese message that names the file or option and the fix.  The CLI turns
them into that line on stderr; only ``--debug`` / ``DRAFTER_DEBUG=1`` shows a traceback.
"""

from __future__ import annotations


class DrafterError(Exception):
    """A problem with the writer's data (a file, a folder, a cache): exit code 1."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(DrafterError):
    """A problem with how a command was called (an option, a value): exit code 2."""

    exit_code = 2
