"""The project's error hierarchy: every message says what to do next."""


class AssistantError(Exception):
    """Base class for errors shown to the user as a message, not a traceback."""


class ConfigError(AssistantError):
    """A setting is missing or wrong; the message names the setting and the fix."""


class InputFileError(AssistantError):
    """One input file (or one line of it) cannot be ingested; the rest goes on."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class IndexMismatchError(AssistantError):
    """The stored index was built with another embedding model or dimension."""


class EmbeddingError(AssistantError):
    """The embedding backend failed or is unreachable."""


class StoreError(AssistantError):
    """The article store or vector index is unusable (missing, locked, inconsistent)."""


class ModelError(AssistantError):
    """The language model failed, timed out or is unreachable."""


class QuestionError(AssistantError):
    """The question cannot be answered as asked (empty, too long, control characters)."""


class ModelCrashError(ModelError):
    """The model's process died (native fault, abort, out of memory); it restarts on its own."""
