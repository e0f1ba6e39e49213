"""Who ran which statement on a multi-user server: Thrift JDBC/ODBC and Spark Connect.

One application of such a server holds the queries of many people. The server logs its
sessions (user, client address) and operations (the statement, its session) in listener
events of its own; this module folds them and ties each SQL execution to its operation:

- by the execution's job group (the Thrift server, 4.x: it equals the operation's group) or
  its Spark Connect operation tag (``SparkConnect_OperationTag_User_…_Operation_…``);
- by a job of the execution that carries either (3.5's executions carry no group, their jobs
  do), which overrides a guess;
- else (3.5 commands, which run no job) by the statement text: among the server's running
  operations with that very text, the oldest that has no execution yet, else the newest;
- a Thrift session's own ``USE default`` ("openSession at …", no group either) belongs to
  the session waiting for it, when only one is; sessions opened at the same moment leave
  theirs unattributed rather than guessed.

Everything here is small per operation (its statement is cut at :data:`STATEMENT_LIMIT`), and
the plan text of ``OperationParsed`` events is never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sparklineage.events import (
    Event,
    JobStart,
    ServerOperationEnded,
    ServerOperationStarted,
    ServerSessionClosed,
    ServerSessionStarted,
    SQLExecutionStart,
)

STATEMENT_LIMIT = 20_000  # characters kept of a statement: SQL of generated reports can be huge
STATEMENT_CUT = " …[statement cut by sparklineage]"
_OPEN_SESSION = "openSession at "
_CONNECT_SQL = re.compile(r'\bsql \{\s*query: "((?:[^"\\\n]|\\.)*)"')
_CONNECT_KIND = re.compile(r"\A\s*(\w+) \{")
_LITERAL = r'"((?:[^"\\\n]|\\.)*)"'
_CONNECT_READS = re.compile(r"\bnamed_table \{\s*unparsed_identifier: " + _LITERAL)
_CONNECT_WRITES = re.compile(r"\b(?:table_name|path): " + _LITERAL)
_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{2})|(.))")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\"}


@dataclass(frozen=True, slots=True)
class Session:
    """One client session of a server, as the report shows it."""

    id: str
    server: str  # thrift | connect
    user: str | None
    client: str | None  # the client's address, where the server logs it (Thrift)
    start: int | None
    end: int | None
    statements: int = 0  # operations the session started, with or without an execution


@dataclass(frozen=True, slots=True)
class Link:
    """What an execution was run for: a session and, mostly, one of its operations."""

    session_id: str
    operation_id: str | None = None
    certain: bool = True  # from a job group or tag, not from the statement text


@dataclass
class _Operation:
    server: str
    session_id: str
    user: str | None
    statement: str
    group: str | None
    executions: int = 0
    running: bool = True


@dataclass
class _Session:
    started: ServerSessionStarted
    end: int | None = None
    statements: int = 0


@dataclass
class ServerActivity:
    """Fed every event of one application; links executions to operations as they start."""

    _sessions: dict[str, _Session] = field(default_factory=dict)
    _operations: dict[str, _Operation] = field(default_factory=dict)
    _by_group: dict[str, str] = field(default_factory=dict)  # job group or tag -> operation
    _running: list[str] = field(default_factory=list)  # Thrift operations not yet ended
    _waiting: list[str] = field(default_factory=list)  # Thrift sessions before their USE
    _unsure: bool = False  # several sessions were waiting at once: whose USE is whose?

    def add(self, event: Event) -> None:
        if isinstance(event, ServerSessionStarted):
            self._sessions[event.session_id] = _Session(event)
            if event.server == "thrift":
                self._waiting.append(event.session_id)
        elif isinstance(event, ServerSessionClosed):
            session = self._sessions.get(event.session_id)
            if session is not None:
                session.end = event.time
        elif isinstance(event, ServerOperationStarted):
            self._started(event)
        elif isinstance(event, ServerOperationEnded):
            self._ended(event)

    def _ended(self, event: ServerOperationEnded) -> None:
        """An operation done: no execution starts for it any more. Once closed, one that ran
        none is forgotten, so a server's months of metadata calls (``SHOW TABLES``, schema
        requests) cost nothing: what is kept grows with the executions, as the rest does."""
        operation = self._operations.get(event.operation_id)
        if operation is None:
            return
        if operation.running:
            operation.running = False
            if event.operation_id in self._running:
                self._running.remove(event.operation_id)
        if event.closed and operation.executions == 0:
            del self._operations[event.operation_id]
            if operation.group is not None:
                self._by_group.pop(operation.group, None)

    def _started(self, event: ServerOperationStarted) -> None:
        session = self._sessions.get(event.session_id)
        if session is not None:
            session.statements += 1
        self._operations[event.operation_id] = _Operation(
            event.server, event.session_id, event.user, _kept(event.statement), event.group
        )
        if event.group:
            self._by_group[event.group] = event.operation_id
        if event.server == "thrift":
            self._running.append(event.operation_id)

    # ------------------------------------------------------------------ linking

    def link_execution(self, event: SQLExecutionStart) -> Link | None:
        """The operation (or session) an execution ran for, or None off any server."""
        for key in (event.operation_tag, event.job_group):
            if key and key in self._by_group:
                return self._linked(self._by_group[key], certain=True)
        if event.description.startswith(_OPEN_SESSION):
            return self._session_opened()
        return self._by_text(event.description)

    def _session_opened(self) -> Link | None:
        """The session whose opening ``USE`` this is, if only one session is waiting."""
        if not self._waiting:
            return None
        self._unsure = self._unsure or len(self._waiting) > 1
        session, sure = self._waiting.pop(0), not self._unsure
        if not self._waiting:
            self._unsure = False
        return Link(session) if sure else None

    def link_job(self, event: JobStart) -> Link | None:
        """The operation a job names by its group or tag: a certain link for its execution."""
        for key in (event.operation_tag, event.job_group):
            if key and key in self._by_group:
                return self._linked(self._by_group[key], certain=True)
        return None

    def _linked(self, operation_id: str, *, certain: bool) -> Link:
        operation = self._operations[operation_id]
        operation.executions += 1
        return Link(operation.session_id, operation_id, certain)

    def _by_text(self, description: str) -> Link | None:
        if not description or not self._running:
            return None
        text = _kept(description)
        candidates = [o for o in self._running if self._operations[o].statement == text]
        if not candidates:
            return None
        fresh = [o for o in candidates if self._operations[o].executions == 0]
        return self._linked(fresh[0] if fresh else candidates[-1], certain=False)

    # ------------------------------------------------------------------ results

    def user(self, link: Link) -> str | None:
        operation = self._operations.get(link.operation_id or "")
        if operation is not None and operation.user:
            return operation.user
        session = self._sessions.get(link.session_id)
        return session.started.user if session else None

    def statement(self, link: Link) -> str | None:
        """The statement of the link's operation: SQL text, or what a Connect request did."""
        operation = self._operations.get(link.operation_id or "")
        if operation is None:
            return None
        if operation.server == "connect":
            return connect_statement(operation.statement)
        return operation.statement or None

    def saves_as_table(self, link: Link) -> bool:
        """The link's operation is a DataFrame ``saveAsTable`` sent over Spark Connect (its
        executions do not say so: their description names the session, not the call)."""
        operation = self._operations.get(link.operation_id or "")
        return (
            operation is not None
            and operation.server == "connect"
            and "save_method: TABLE_SAVE_METHOD_SAVE_AS_TABLE" in operation.statement
        )

    def session(self, link: Link) -> Session | None:
        found = self._sessions.get(link.session_id)
        return _session(found) if found else None

    def sessions(self) -> tuple[Session, ...]:
        """Every session of the application, in the order they opened."""
        ordered = sorted(self._sessions.values(), key=lambda s: s.started.time or 0)
        return tuple(_session(s) for s in ordered)


def _session(state: _Session) -> Session:
    started = state.started
    return Session(
        id=started.session_id,
        server=started.server,
        user=started.user,
        client=started.client,
        start=started.time,
        end=state.end,
        statements=state.statements,
    )


def _kept(statement: str) -> str:
    if len(statement) <= STATEMENT_LIMIT:
        return statement
    return statement[:STATEMENT_LIMIT] + STATEMENT_CUT


def connect_statement(text: str) -> str | None:
    """The SQL of a Connect request (``sql { query: "…" }``), else a short account of it:
    its kind, the tables it reads and the table or path it writes
    (``write_operation: sales.orders → totals``)."""
    sql = _CONNECT_SQL.search(text)
    if sql:
        return _unescaped(sql.group(1))
    kind = _CONNECT_KIND.match(text)
    if kind is None:
        return text.strip()[:200] or None
    reads = _names(_CONNECT_READS, text) or "–"
    writes = _names(_CONNECT_WRITES, text)
    if writes:
        return f"{kind.group(1)}: {reads} → {writes}"
    return f"{kind.group(1)}: {reads}" if reads != "–" else kind.group(1)


def _names(pattern: re.Pattern[str], text: str) -> str:
    """The first few distinct string values ``pattern`` finds, comma-separated."""
    names = dict.fromkeys(_unescaped(m.group(1)) for m in pattern.finditer(text))
    return ", ".join(list(names)[:5])


def _unescaped(literal: str) -> str:
    """A protobuf text-format string literal's value (octal escapes are UTF-8 bytes)."""
    out = bytearray()
    position = 0
    for match in _ESCAPE.finditer(literal):
        out += literal[position : match.start()].encode()
        octal, hexa, simple = match.groups()
        if octal:
            out.append(int(octal, 8) & 0xFF)
        elif hexa:
            out.append(int(hexa, 16))
        else:
            out += _SIMPLE_ESCAPES.get(simple, "\\" + simple).encode()
        position = match.end()
    out += literal[position:].encode()
    return out.decode("utf-8", "replace")
