"""One way to build an ``openai`` client for any OpenAI-compatible server (shared by stages)."""

from __future__ import annotations

import os
from typing import Any

from assistant.errors import ConfigError


def openai_client(
    section: str, api_key_env: str, base_url: str | None, timeout_s: float, max_retries: int
) -> Any:
    """A client with a key from ``api_key_env``; local servers (a ``base_url``) need no key.

    ``section`` names the settings section (``llm`` or ``embedding``) for error messages.
    """
    try:
        import openai
    except ImportError as exc:
        raise ConfigError(f"{section}.provider 'openai' needs: pip install openai") from exc
    key = os.environ.get(api_key_env)
    if not key and not base_url:
        raise ConfigError(
            f"{section}.provider is 'openai' but {api_key_env} is not set; export it, "
            f"or set {section}.base_url for a local server"
        )
    return openai.OpenAI(
        api_key=key or "not-needed", base_url=base_url, timeout=timeout_s, max_retries=max_retries
    )
