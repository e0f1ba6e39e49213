"""Secrets never leave sparklineage: the one place that decides what is a secret.

Spark redacts some values itself (``spark.redaction.regex``, JDBC URLs in plans), but not
all of them and not in every version, so every text taken from a log that could hold a
credential goes through here before it is kept or shown:

- :func:`redact_text` for free text (SQL text, plan text, error messages, warnings): each
  secret is replaced by :data:`REDACTED`, the marker Spark itself uses, and everything around
  it (the key, the table, the host, the path) is kept, so a reader still sees what was done;
- :func:`redact_url` for a URL that names a dataset: credentials (``user:password@``, Oracle's
  ``user/password@``) are dropped, so the id stays the same whoever read it, and then the
  rest goes through :func:`redact_text`;
- :func:`redact_property` for a Spark or Hadoop property.

Every pattern runs in linear time (no nested quantifiers; each starts with a fixed word, so
a long run of spaces or of ``a=`` pairs is scanned once), and each is tried only on a text
that holds its word: plan texts reach a megabyte and extraction speed matters (a megabyte of
plan text takes about 20 ms). :func:`redact_text` is idempotent: a value already redacted
is left as it is.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

REDACTED = "*********(redacted)"

# Property names whose values are secrets (Spark's own default regex, widened for storage keys).
_SECRET_NAME = re.compile(
    r"(?i)secret|password|passwd|pwd|token|credential|access[._-]?key|account[._-]?key"
    r"|sas|signature|private[._-]?key|apikey|api[._-]?key|\bauth\b"
)

# Every pattern below is matched against the text's bytes with ASCII letters lower-cased:
# without IGNORECASE, Python's engine skips ahead to the first letter a pattern can start
# with, ten times faster than the same pattern made case-insensitive. Each names the secret
# in its capturing group(s); everything else it matches (the key, the quotes) is kept.

# What separates a key from its value: ``=``, ``==``, ``:=``, ``!=``, ``->`` (Scala's Map),
# ``: `` (JSON, messages), or spaces before a quoted value (SQL ``OPTIONS (password 'x')``).
# The key may be quoted: ``'password'='x'``, ``"password": "x"``.
_SEPARATOR = rb"""['"`]?(?:\s*(?:[=!:]?=|->)\s*|\s*:(?=[\s'"])\s*|\s+(?=['"]))"""
# The value: quoted (SQL doubles a quote or escapes it with a backslash; the secret is what
# is inside), or up to a space or a delimiter. A value already redacted is matched whole and
# kept, so redacting twice changes nothing.
_VALUE = (
    rb"(?:\*{9}\(redacted\)"
    rb"|'([^'\\]*(?:(?:\\.|'')[^'\\]*)*)'"
    rb'|"([^"\\]*(?:(?:\\.|"")[^"\\]*)*)"'
    rb"""|([^\s,;&'"<>)\]}]+))"""
)
# A key whose value is a secret, in free text: it ends with one of these words (so
# ``token_count`` and ``passwordless`` are not keys of secrets), or is one of Azure's
# per-account settings, which end with the account's host name. Each starts with a fixed
# word, which the engine finds fast, and is tried only on a text that has that word.
_KEY_PREFIXES = (b"access", b"secret", b"account", b"private", b"api", b"sas", b"storage")
_SECRET_KEYS = (
    rb"pass(?:word|wd)",
    rb"pwd",
    rb"secret",
    rb"token",
    rb"credential(?:s)?",
    rb"signature",
    rb"key(?:"  # accesskey, secret.key, account_key, api-key…
    + rb"|".join(rb"(?<=%s%skey)" % (w, s) for w in _KEY_PREFIXES for s in (b"", b"[._-]"))
    + rb")",
    rb"sig(?<![a-z]sig)",
    rb"sas(?<![a-z]sas)",
    rb"auth(?<![a-z]auth)",
    rb"user(?<=[?&;]user)(?:name)?",  # a URL's or a JDBC URL's user parameter
    rb"fs\.azure\.(?:account\.key|sas|account\.oauth2\.client\.secret)\.[\w.-]+",
    rb"identified\s+by\s+",  # CREATE USER … IDENTIFIED BY 'x': the separator is in the key
)
# ``scheme://user:password@host`` (not ``container@account`` of wasbs/abfss: no colon).
_USERINFO = re.compile(rb"""://([^/@\s:'"?#;]+:[^/@\s'"?#;]*)@""")
# Oracle's ``jdbc:oracle:thin:user/password@//host:1521/service`` or ``…@host:1521:sid``.
_ORACLE = re.compile(rb"""jdbc:oracle:\w+:([^/@\s:'"]+/[^@\s'"]*)@""")
# HTTP credentials: an Authorization header's value, a bearer token anywhere, a basic one
# (base64 of ``user:password``, checked), a JSON web token; and PEM private keys.
_AUTHORIZATION = re.compile(
    rb"""authorization['"]?\s*[:=]\s*['"]?"""
    rb"(?:(?:basic|bearer|token|digest|negotiate|ntlm|sharedkey(?:lite)?)\s+)?"
    rb"""([^\s'",;]+)"""
)
_BEARER = re.compile(rb"bearer(?<!\wbearer)\s+([\w.~+/-]{8,}=*)")
_BASIC = re.compile(rb"basic(?<!\wbasic)\s+([a-z0-9+/]{8,}={0,2})(?![\w+/=])")
_JWT = re.compile(rb"(eyj(?<!\weyj)[\w-]{8,}\.[\w-]{8,}\.[\w-]*)")
_PRIVATE_KEY = re.compile(rb"-----begin [a-z ]*private key-----([^-]*)-----end")


def _is_basic_credential(secret: bytes) -> bool:
    """``Basic <token>`` is a credential only when the token is base64 of ``user:password``
    (so the English word "basic" before a long word is left alone)."""
    try:
        decoded = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded and decoded.isascii()


def _literal_prefix(pattern: bytes) -> bytes:
    """The fixed word a pattern starts with (``fs\\.azure\\.`` is ``fs.azure.``)."""
    word = re.match(rb"(?:[a-z]|\\\.)+", pattern)
    if word is None:  # a pattern of this module that starts otherwise: a mistake of ours
        raise ValueError(f"{pattern!r} does not start with a word")
    return word.group().replace(b"\\", b"")


def _key_value(key: bytes) -> re.Pattern[bytes]:
    """The pattern of a secret-named key, its separator and its value."""
    separator = b"" if key.endswith(rb"\s+") else _SEPARATOR
    return re.compile(key + separator + _VALUE)


# (a word the lower-cased text must hold, pattern, check of the secret): cheap ``in`` tests
# decide which patterns run at all.
_Rule = tuple[bytes, re.Pattern[bytes], Callable[[bytes], bool] | None]
_RULES: tuple[_Rule, ...] = (
    *((_literal_prefix(key), _key_value(key), None) for key in _SECRET_KEYS),
    (b"://", _USERINFO, None),
    (b"jdbc:oracle:", _ORACLE, None),
    (b"authorization", _AUTHORIZATION, None),
    (b"bearer", _BEARER, None),
    (b"basic", _BASIC, _is_basic_credential),
    (b"eyj", _JWT, None),
    (b"private key-----", _PRIVATE_KEY, None),
)
# Any of those words: one search that most texts (names, call sites, messages) fail.
_ANY_WORD = re.compile(b"|".join(re.escape(word) for word, _, _ in _RULES))


def is_secret_name(name: str) -> bool:
    """Whether a property of this name holds a secret."""
    return bool(_SECRET_NAME.search(name))


def redact_text(text: str) -> str:
    """``text`` with every secret it shows replaced by :data:`REDACTED`, the rest kept:
    secret-named keys' values in SQL, config and messages (``password 'x'``, ``pwd=x``,
    ``SET …secret.key=x``, ``fs.azure.account.key.<account>=x``, ``OPTIONS ('token' 'x')``,
    ``IDENTIFIED BY 'x'``), URL and JDBC parameters (``sig=``, ``;password=``, ``?token=``,
    ``AccountKey=``), credentials in URLs (``s3a://KEY:SECRET@bucket``,
    ``jdbc:oracle:thin:user/pw@//host``), HTTP credentials (``Authorization: …``,
    ``Bearer …``, ``Basic <base64>``), JSON web tokens and PEM private keys."""
    if not text:
        return text
    data = text.encode("utf-8", "surrogatepass")
    lower = data.lower()  # ASCII letters only: every offset stays the same
    if not _ANY_WORD.search(lower):
        return text
    spans = [
        span
        for word, pattern, check in _RULES
        if word in lower
        for span in _secrets(pattern, lower, data, check)
    ]
    if not spans:
        return text
    pieces, done = [], 0
    for start, end in _merged(spans):
        pieces += [data[done:start], _MARKER]
        done = end
    pieces.append(data[done:])
    return b"".join(pieces).decode("utf-8", "surrogatepass")


_MARKER = REDACTED.encode()


def _secrets(
    pattern: re.Pattern[bytes], lower: bytes, data: bytes, check: Callable[[bytes], bool] | None
) -> Iterator[tuple[int, int]]:
    """Where the secrets ``pattern`` finds are: the span of its group that matched."""
    for match in pattern.finditer(lower):
        group = match.lastindex
        if group is None:
            continue  # a value already redacted
        start, end = match.span(group)
        if end > start and (check is None or check(data[start:end])):
            yield start, end


def _merged(spans: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Spans in order, overlapping ones as one."""
    spans.sort()
    start, end = spans[0]
    for next_start, next_end in spans[1:]:
        if next_start > end:
            yield start, end
            start = next_start
        end = max(end, next_end)
    yield start, end


# Oracle's credentials as redact_text marks them, for redact_url to drop.
_MARKED_ORACLE = re.compile(r"(?i)(jdbc:oracle:\w+:)\*{9}\(redacted\)@")


def redact_url(url: str) -> str:
    """A URL fit to name a dataset: every secret marked by :func:`redact_text` (SAS
    signatures, password parameters), and its credentials (``user:password@``, Oracle's
    ``user/password@``) then dropped, so the name is the same whoever read it."""
    text = redact_text(url)
    if REDACTED + "@" not in text:
        return text
    return _MARKED_ORACLE.sub(r"\1@", text.replace(f"://{REDACTED}@", "://"))


def redact_property(name: str, value: str) -> str:
    """A property value fit to keep: a secret-named one replaced whole, any other redacted
    as a URL (a catalog's or a metastore's URL names datasets)."""
    if is_secret_name(name):
        return REDACTED
    return redact_url(value)


def without_secrets(url: str) -> str:
    """A URL fit to be a key and to be shown: without its password (``user:password@``) and
    its query string (SAS tokens live there, and change while the place stays the same)."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        userinfo, at = "", ""
    return urlunsplit((parts.scheme, f"{userinfo}{at}{host}", parts.path, "", ""))
