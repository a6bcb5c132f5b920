"""Credentials masked wherever text is stored or shown: run records, error messages, logs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "***"
# user:password@ in a URL, with or without a scheme (``postgresql://u:pw@h/db``, ``u:pw@h/db``).
_CREDENTIALS = re.compile(r"(?P<head>(?:^|[\s'\"=(,]|//))(?P<user>[^\s/:@'\"]*):[^\s/@'\"]+@")


def mask_credentials(text: str) -> str:
    """``postgresql+psycopg://user:SECRET@host/db`` -> ``postgresql+psycopg://user:***@host/db``."""
    return _CREDENTIALS.sub(lambda m: f"{m['head']}{m['user']}:{MASK}@", text)


def masked(values: Mapping[str, Any]) -> dict[str, Any]:
    """A mapping of strings (arguments, settings) with credentials masked in every value."""
    return {key: mask_credentials(str(value)) for key, value in values.items()}
