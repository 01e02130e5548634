"""Text from articles and models made safe to print on a terminal.

Article text is untrusted: an ESC byte starts a terminal escape sequence (retitle the window,
rewrite the screen, on some terminals more), and bidi controls reorder what is shown.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, and the bidi embedding/override/isolate
# characters.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``), never obeyed."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
