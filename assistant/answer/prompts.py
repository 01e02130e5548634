"""Prompt files from ``prompts/``, rendered strictly: a missing variable is an error."""

from __future__ import annotations

import string
from pathlib import Path

from assistant.errors import ConfigError


class PromptLibrary:
    """Loads ``<dir>/<name>.txt`` templates (``$variable`` syntax) once and renders them."""

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise ConfigError(
                f"prompt directory {directory} does not exist; set answer.prompts_dir"
            )
        self._directory = directory
        self._cache: dict[str, string.Template] = {}

    def render(self, name: str, /, **values: str) -> str:
        """The prompt ``name`` with ``values`` filled in; a missing variable raises."""
        template = self._template(name)
        try:
            return template.substitute(values)
        except KeyError as exc:
            raise ConfigError(
                f"prompt {name!r} needs the variable {exc.args[0]!r}, which was not given"
            ) from exc
        except ValueError as exc:
            raise ConfigError(
                f"prompt {name!r} has a bad placeholder: {exc}; write $$ for $"
            ) from exc

    def _template(self, name: str) -> string.Template:
        if name not in self._cache:
            path = self._directory / f"{name}.txt"
            if not path.exists():
                raise ConfigError(f"prompt file {path} is missing")
            self._cache[name] = string.Template(path.read_text(encoding="utf-8"))
        return self._cache[name]
