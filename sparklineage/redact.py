"""Secrets never leave sparklineage: the one place that decides what is a secret.

Spark redacts some values itself (``spark.redaction.regex``, JDBC URLs in plans), but not
all of them and not in every version, so everything taken from a log that could hold a
credential (properties, URLs) goes through here before it is kept.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

REDACTED = "*********(redacted)"

# Property names whose values are secrets (Spark's own default regex, widened for storage keys).
_SECRET_NAME = re.compile(
    r"(?i)secret|password|passwd|pwd|token|credential|access[._-]?key|account[._-]?key"
    r"|sas|signature|private[._-]?key|apikey|api[._-]?key|\bauth\b"
)
# user:password@ in any URL (not container@account of wasbs/abfss), and secret-named query or
# JDBC parameters.
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s:]+:[^/@\s]*@")
_URL_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:password|passwd|pwd|user|username|sig|sas|token|accountkey|secret|apikey"
    r"|access_token|client_secret)=)[^&;]*"
)


def is_secret_name(name: str) -> bool:
    """Whether a property of this name holds a secret."""
    return bool(_SECRET_NAME.search(name))


def redact_url(url: str) -> str:
    """``url`` without ``user:password@`` and secret query/JDBC parameters (SAS, passwords)."""
    url = _URL_USERINFO.sub("", url)
    return _URL_SECRET_PARAM.sub(lambda m: m.group(1) + REDACTED, url)


def redact_property(name: str, value: str) -> str:
    """A property value fit to keep: secrets replaced, credentials stripped from URLs."""
    if is_secret_name(name):
        return REDACTED
    return redact_url(value) if "://" in value or "jdbc:" in value else value


def without_secrets(url: str) -> str:
    """A URL fit to be a key and to be shown: without its password (``user:password@``) and
    its query string (SAS tokens live there, and change while the place stays the same)."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        userinfo, at = "", ""
    return urlunsplit((parts.scheme, f"{userinfo}{at}{host}", parts.path, "", ""))
