"""One small interface over the knowledge graph: Cypher over Bolt, plus ArcadeDB's admin HTTP API.

Which path does what:

* `GraphStore` speaks Cypher (Neo4j 5 dialect, no APOC) through the official `neo4j` driver over
  Bolt. It works against ArcadeDB's Bolt plugin and against a real Neo4j 5. Plain indexes and
  constraints go through it too (`ensure_schema`): ArcadeDB accepts
  `CREATE INDEX name IF NOT EXISTS FOR (n:L) ON (n.p)`, composite and relationship indexes,
  `CREATE CONSTRAINT name IF NOT EXISTS FOR (n:L) REQUIRE n.p IS UNIQUE` (enforced), `IS NOT NULL`,
  `IS NODE KEY` and `DROP INDEX|CONSTRAINT name IF EXISTS`.
* `ArcadeAdmin` speaks ArcadeDB SQL over HTTP (`POST /api/v1/command/<db>`). It is ArcadeDB-only and
  needed for what ArcadeDB's Cypher cannot declare: full-text indexes (Cypher `CREATE FULLTEXT INDEX`
  is refused and `CREATE TEXT INDEX` silently makes a plain range index). See `fulltext_index_sql`.
  A full-text index made that way is then *queried* from Cypher with
  `CALL db.index.fulltext.queryNodes('Label[prop]', $q)` (`GraphStore.search_text`).

ArcadeDB ignores the Bolt access mode (a CREATE in a READ session or `execute_read` is committed),
so `read_only=True` rejects write clauses before sending anything, and against the embedded server
it should log in as the `reader` account, which the database itself restricts to reading
(`GraphStore.from_server(server, read_only=True)`).
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import neo4j
import neo4j.exceptions as nx
import neo4j.time

from corpus.errors import BilingualError

if TYPE_CHECKING:
    from kg.server import EmbeddedGraphServer

T = TypeVar("T")

DEFAULT_DATABASE = "kg"
# Bigram analyzer: Chinese has no spaces, and the default analyzer's single characters make
# '规划' match any text holding 规 or 划. Bigrams keep 2-character words as units.
CJK_ANALYZER = "org.apache.lucene.analysis.cjk.CJKAnalyzer"


class GraphError(BilingualError):
    """Any graph failure. `str(err)` is a complete bilingual message; `detail` is the server's."""


class GraphUnavailableError(GraphError):
    """The graph server cannot be reached or refused the login."""


class GraphQueryError(GraphError):
    """The server rejected or failed a statement (syntax, constraint, missing index...)."""


class GraphReadOnlyError(GraphError):
    """A write was attempted through a read-only store or account."""


@dataclass(frozen=True)
class QueryResult:
    rows: list[dict[str, Any]]
    truncated: bool  # more rows existed than max_rows


# --- read-only guard ---------------------------------------------------------------------------

# Literals, quoted identifiers and comments are masked first so that text inside them never counts.
_MASK = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.S)
# A keyword is a clause only where it is not a property (`n.set`), parameter (`$create`), label
# (`:Set`) or map key (`{merge: 1}`).
_WRITE = re.compile(
    r"(?<![\w.$:])(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|FOREACH|LOAD\s+CSV|ALTER|RENAME"
    r"|GRANT|DENY|REVOKE|TERMINATE|START\s+DATABASE|STOP\s+DATABASE)(?!\w)(?!\s*:)",
    re.I)
_CALL = re.compile(r"(?<![\w.$:])CALL\s+([A-Za-z_][\w.]*)", re.I)
READ_PROCEDURES = frozenset({
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.indexes", "db.constraints",
    "db.schema.visualization", "db.schema.nodetypeproperties", "db.schema.reltypeproperties",
    "db.index.fulltext.querynodes", "db.index.fulltext.queryrelationships",
    "db.index.vector.querynodes", "dbms.components",
})


def check_read_only(cypher: str) -> None:
    """Raise GraphReadOnlyError if `cypher` could write. Conservative: a false alarm beats a write.

    `CALL { ... }` subqueries are scanned like the rest; a named procedure must be a known reader.
    """
    masked = _MASK.sub(" ", cypher)
    hit = _WRITE.search(masked)
    if hit:
        raise GraphReadOnlyError("只读查询中不允许写操作", "write clause in a read-only query",
                                 " ".join(hit.group(1).upper().split()))
    for call in _CALL.finditer(masked):
        if call.group(1).lower() not in READ_PROCEDURES:
            raise GraphReadOnlyError("只读查询只能调用只读过程", "procedure not allowed in a "
                                     "read-only query", call.group(1))


# --- values ------------------------------------------------------------------------------------

def plain(value: Any) -> Any:
    """Driver values as plain Python: neo4j dates become `datetime.date`/`datetime`, nested too.

    `Record.data()` already turns nodes into property dicts and relationships into
    (start, type, end) tuples; return `elementId(n)` or `labels(n)` explicitly when needed.
    """
    if isinstance(value, (neo4j.time.Date, neo4j.time.DateTime, neo4j.time.Time)):
        return value.to_native()
    if isinstance(value, neo4j.time.Duration):
        return value.iso_format()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _rows(result: neo4j.Result, max_rows: int | None = None) -> tuple[list[dict[str, Any]], bool]:
    rows: list[dict[str, Any]] = []
    for record in result:
        if max_rows is not None and len(rows) >= max_rows:
            return rows, True
        rows.append(plain(record.data()))
    return rows, False


def lucene_escape(text: str) -> str:
    """Quote Lucene query syntax so user text is searched literally (terms stay OR-ed)."""
    return re.sub(r'([+\-!(){}\[\]^"~*?:\\/]|&&|\|\|)', r"\\\1", text)


def _identifier(name: str) -> str:
    if not name.isidentifier():
        raise GraphQueryError("非法的标签或属性名", "invalid label or property name", repr(name))
    return name


def fulltext_index_sql(label: str, prop: str, analyzer: str = CJK_ANALYZER) -> list[str]:
    """ArcadeDB SQL (for `ArcadeAdmin.ensure_schema`) creating a full-text index on label.prop.

    The index is named `Label[prop]`; query it with `GraphStore.search_text("Label[prop]", ...)`.
    """
    label, prop = _identifier(label), _identifier(prop)
    meta = json.dumps({"analyzer": analyzer})
    return [f"CREATE VERTEX TYPE `{label}` IF NOT EXISTS",
            f"CREATE PROPERTY `{label}`.`{prop}` IF NOT EXISTS STRING",
            f"CREATE INDEX IF NOT EXISTS ON `{label}` (`{prop}`) FULL_TEXT METADATA {meta}"]


# --- errors ------------------------------------------------------------------------------------

def _translate(err: Exception) -> GraphError:
    detail = getattr(err, "message", None) or str(err)
    if isinstance(err, nx.AuthError):
        return GraphUnavailableError("图数据库拒绝登录", "graph login refused", detail)
    if isinstance(err, nx.Forbidden):
        return GraphReadOnlyError("该账号无权执行此操作", "account not allowed to do this", detail)
    if isinstance(err, (nx.ServiceUnavailable, nx.SessionExpired, OSError)):
        return GraphUnavailableError("无法连接图数据库", "graph server unreachable", detail)
    if isinstance(err, nx.ConstraintError):
        return GraphQueryError("违反图数据库约束", "graph constraint violated", detail)
    return GraphQueryError("图查询失败", "graph query failed", detail)


# --- the store ---------------------------------------------------------------------------------

class GraphStore:
    """Cypher over Bolt. Results are lists of plain dicts (see `plain`)."""

    def __init__(self, driver: neo4j.Driver, database: str, *, read_only: bool = False,
                 admin: ArcadeAdmin | None = None) -> None:
        self._driver = driver
        self.database = database
        self.read_only = read_only
        # ArcadeDB's HTTP API when the backend is the embedded ArcadeDB (full-text DDL needs
        # it); None for a Neo4j or an external server reached only over Bolt.
        self.admin = admin

    @classmethod
    def connect(cls, url: str, user: str, password: str, database: str = DEFAULT_DATABASE, *,
                read_only: bool = False, timeout_s: float = 10.0) -> GraphStore:
        """Open a driver and check the server answers; raise GraphUnavailableError if not."""
        try:
            driver = neo4j.GraphDatabase.driver(url, auth=(user, password),
                                                connection_timeout=timeout_s,
                                                connection_acquisition_timeout=timeout_s)
        except (ValueError, nx.ConfigurationError) as err:
            raise GraphUnavailableError("图数据库地址无效", "invalid graph URL", str(err)) from err
        store = cls(driver, database, read_only=read_only)
        try:
            store.ping()
        except GraphError:
            store.close()
            raise
        return store

    @classmethod
    def from_server(cls, server: EmbeddedGraphServer, *, read_only: bool = False) -> GraphStore:
        """Connect to an embedded server; read-only stores use its database-enforced reader."""
        info = server.ensure_running()
        if read_only:
            return cls.connect(info.bolt_url, server.reader_user, server.reader_password,
                               server.database, read_only=True)
        store = cls.connect(info.bolt_url, server.user, server.password, server.database)
        store.admin = server.admin()
        return store

    # -- lifecycle

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ping(self) -> bool:
        """True if the database answers a trivial query; raises GraphUnavailableError otherwise."""
        try:
            with self._session(neo4j.READ_ACCESS) as session:
                return session.run("RETURN 1 AS ok").single(strict=True)["ok"] == 1
        except (nx.Neo4jError, nx.DriverError, OSError) as err:
            raise _translate(err) from err

    # -- statements

    def run(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        """Run a reading statement in a read transaction and return all rows."""
        return self.query(cypher, params).rows

    def query(self, cypher: str, params: Mapping[str, Any] | None = None, *,
              max_rows: int | None = None) -> QueryResult:
        """Like `run`, for user-supplied Cypher: at most `max_rows` rows are kept."""
        if self.read_only:
            check_read_only(cypher)
        return self.execute_read(lambda tx: QueryResult(*_rows(tx.run(cypher, params or {}),
                                                               max_rows)))

    def write(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        """Run a writing statement in its own write transaction (retried on transient errors)."""
        return self.execute_write(lambda tx: _rows(tx.run(cypher, params))[0])

    def write_batch(self, cypher: str, rows: Sequence[Any], batch_size: int = 1000,
                    **params: Any) -> int:
        """Run `cypher` (which must read `UNWIND $rows AS row`) once per batch, one transaction
        each, so a failure loses at most the current batch. Returns the number of rows sent."""
        if "$rows" not in cypher:
            raise GraphQueryError("批量语句必须使用 UNWIND $rows", "batch statement must use "
                                  "UNWIND $rows AS row", cypher[:80])
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        for start in range(0, len(rows), batch_size):
            chunk = [dict(r) if isinstance(r, Mapping) else r
                     for r in rows[start:start + batch_size]]
            self.execute_write(lambda tx, c=chunk: tx.run(cypher, {**params, "rows": c}).consume())
        return len(rows)

    def execute_read(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A managed read transaction: `work(tx, *args, **kwargs)`, retried on transient errors."""
        return self._execute(neo4j.READ_ACCESS, work, args, kwargs)

    def execute_write(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A managed write transaction; raises GraphReadOnlyError on a read-only store."""
        self._refuse_if_read_only()
        return self._execute(neo4j.WRITE_ACCESS, work, args, kwargs)

    def ensure_schema(self, statements: Iterable[str]) -> None:
        """Run idempotent Cypher DDL (`... IF NOT EXISTS`), each in its own auto-commit
        transaction as Neo4j requires for schema changes. Full-text indexes: `ArcadeAdmin`."""
        self._refuse_if_read_only()
        for statement in statements:
            try:
                with self._session(neo4j.WRITE_ACCESS) as session:
                    session.run(statement).consume()
            except (nx.Neo4jError, nx.DriverError, OSError) as err:
                raise _translate(err) from err

    def search_text(self, index: str, text: str, limit: int = 10, *,
                    literal: bool = True) -> list[dict[str, Any]]:
        """Full-text search on an index made by `fulltext_index_sql` (name `Label[prop]`).

        Returns [{"node": {...properties}, "score": float}] best first. With `literal`, Lucene
        operators in `text` are escaped; pass False to allow `+必须 -排除 "短语"` syntax."""
        q = lucene_escape(text) if literal else text
        return self.run("CALL db.index.fulltext.queryNodes($index, $q) YIELD node, score "
                        "RETURN node, score ORDER BY score DESC LIMIT $limit",
                        index=index, q=q, limit=limit)

    # -- internals

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise GraphReadOnlyError("只读连接不能写入", "read-only graph store cannot write")

    def _session(self, mode: str) -> neo4j.Session:
        return self._driver.session(database=self.database, default_access_mode=mode)

    def _execute(self, mode: str, work: Callable[..., T], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> T:
        try:
            with self._session(mode) as session:
                run = session.execute_read if mode == neo4j.READ_ACCESS else session.execute_write
                return run(work, *args, **kwargs)
        except (nx.Neo4jError, nx.DriverError, OSError) as err:
            raise _translate(err) from err


# --- ArcadeDB admin over HTTP ------------------------------------------------------------------

class ArcadeAdmin:
    """ArcadeDB's HTTP API with basic auth (stdlib only). ArcadeDB-specific: SQL DDL that Cypher
    cannot express (full-text indexes), server commands (users, databases) and readiness."""

    def __init__(self, http_url: str, user: str, password: str,
                 database: str = DEFAULT_DATABASE, timeout_s: float = 30.0) -> None:
        self.http_url = http_url.rstrip("/")
        self.database = database
        self.timeout_s = timeout_s
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._auth = f"Basic {token}"

    def ready(self) -> bool:
        """True when `GET /api/v1/ready` answers 2xx (no login needed)."""
        try:
            with urllib.request.urlopen(f"{self.http_url}/api/v1/ready", timeout=2) as resp:
                return 200 <= resp.status < 300
        except (OSError, urllib.error.URLError):
            return False

    def command(self, statement: str, language: str = "sql",
                params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one statement that may change data or schema; returns its result rows."""
        return self._statement("command", statement, language, params)

    def query(self, statement: str, language: str = "sql",
              params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one read-only statement (the server refuses writes on this endpoint)."""
        return self._statement("query", statement, language, params)

    def server_command(self, command: str) -> Any:
        """A server command such as `list databases` or `create user {...}`."""
        return self._post("/api/v1/server", {"command": command}).get("result")

    def databases(self) -> list[str]:
        return list(self.server_command("list databases") or [])

    def ensure_schema(self, statements: Iterable[str]) -> None:
        """Run idempotent SQL DDL (`IF NOT EXISTS`), e.g. from `fulltext_index_sql`."""
        for statement in statements:
            self.command(statement)

    def _statement(self, endpoint: str, statement: str, language: str,
                   params: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"language": language, "command": statement}
        if params:
            body["params"] = dict(params)
        return list(self._post(f"/api/v1/{endpoint}/{self.database}", body).get("result") or [])

    def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.http_url + path, data=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Authorization": self._auth, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            raise _http_error(err) from err
        except (OSError, urllib.error.URLError) as err:
            raise GraphUnavailableError("无法连接图数据库管理接口", "graph HTTP API unreachable",
                                        str(err)) from err


def _http_error(err: urllib.error.HTTPError) -> GraphError:
    try:
        payload = json.loads(err.read() or b"{}")
        detail = payload.get("detail") or payload.get("error") or ""
    except (ValueError, OSError):
        detail = ""
    detail = f"HTTP {err.code} {detail}".strip()
    if err.code in (401, 403):
        return GraphUnavailableError("图数据库拒绝登录或无权限", "graph login refused or "
                                     "forbidden", detail)
    return GraphQueryError("图数据库管理命令失败", "graph admin command failed", detail)

