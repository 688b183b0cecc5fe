"""What may reach a terminal or a JSON reader: text whose control characters are shown, not obeyed.

A document's title, a heading, a file name or a saved query's name can hold ESC sequences (that
set a window's title, its colours or the clipboard), a carriage return that overwrites the line,
or a right-to-left override that makes text read other than it is. Every string the CLI prints
passes through ``printable``; JSON keeps such characters but as ``\\u`` escapes.
"""

from __future__ import annotations

import json
import re

#: C0 controls but tab and line feed, DEL, C1 controls, and the bidirectional embeddings,
#: overrides and isolates (U+202A-U+202E, U+2066-U+2069)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: what ``json.dumps`` leaves as it is of those (it escapes C0 itself)
_JSON_UNESCAPED = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, lines: bool = True) -> str:
    """``text`` with each control character shown as an escape (ESC as ``\\x1b``, U+202E as
    ``\\u202e``); tabs kept, and line feeds too unless ``lines`` is false (one line per record)."""
    shown = _CONTROLS.sub(_shown, text)
    return shown if lines else shown.replace("\n", "\\n")


def json_text(value: object, *, indent: int | None = None) -> str:
    """``value`` as JSON with non-ASCII text as it is, but every control character escaped, so
    that the JSON is the same data and safe to print."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _JSON_UNESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
