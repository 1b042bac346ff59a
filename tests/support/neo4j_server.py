"""Start and stop a real Neo4j 5.26 for tests and benchmarks.

The server is ``org.neo4j.test:neo4j-harness`` started in-process by the small Java launcher in
``neo4j_launcher/`` (Bolt on 127.0.0.1 and a random free port, auth off). The launcher is built
with Maven on first use (the first build downloads from Maven Central into ``~/.m2``; later builds
run offline). The server is stopped by process id: SIGTERM, then SIGKILL after a grace period;
it also exits by itself when its stdin closes, so a test process that dies cannot leave it behind.

Also runs ``neo4j-admin database import full`` from the same classpath (the harness ships the
import tool), so the admin-import CSV export can be checked against the real importer.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LAUNCHER_DIR = Path(__file__).resolve().parent / "neo4j_launcher"
TARGET_DIR = LAUNCHER_DIR / "target"
CLASSPATH_FILE = TARGET_DIR / "classpath.txt"
LAUNCHER_CLASS = "hilgen.neo4j.Launcher"
ADMIN_TOOL_CLASS = "org.neo4j.cli.AdminTool"
_SOURCES = [LAUNCHER_DIR / "pom.xml", *sorted((LAUNCHER_DIR / "src").rglob("*.java"))]
_COMPILED = TARGET_DIR / "classes" / "hilgen" / "neo4j" / "Launcher.class"
_URI_PREFIX = "BOLT_URI "
DEFAULT_HEAP = "1g"


class Neo4jLaunchError(RuntimeError):
    """The launcher could not be built, or the server did not start (the message says why)."""


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise Neo4jLaunchError(
            f"`{tool}` is not on PATH; the real-Neo4j tests need Java 17 and Maven "
            "(apt-get install openjdk-17-jdk-headless maven), or deselect them with -m 'not neo4j'"
        )
    return path


def _is_built() -> bool:
    if not (CLASSPATH_FILE.is_file() and _COMPILED.is_file()):
        return False
    built = min(CLASSPATH_FILE.stat().st_mtime, _COMPILED.stat().st_mtime)
    if any(src.stat().st_mtime > built for src in _SOURCES):
        return False
    jars = CLASSPATH_FILE.read_text(encoding="utf-8").strip().split(os.pathsep)
    return all(Path(jar).is_file() for jar in jars)  # ~/.m2 may have been cleaned


@contextlib.contextmanager
def _build_lock() -> Iterator[None]:
    lock_path = Path(tempfile.gettempdir()) / "hilgen-neo4j-launcher-build.lock"
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_launcher() -> str:
    """Build the launcher if needed (offline first, then online); return its runnable classpath."""
    with _build_lock():
        if not _is_built():
            mvn = _require("mvn")
            _require("java")
            base = [mvn, "-B", "-q", "-f", str(LAUNCHER_DIR / "pom.xml"), "package"]
            offline = subprocess.run([*base, "-o"], capture_output=True, text=True)
            if offline.returncode != 0:
                online = subprocess.run(base, capture_output=True, text=True)
                if online.returncode != 0:
                    raise Neo4jLaunchError(
                        "building the Neo4j launcher failed (mvn package in "
                        f"{LAUNCHER_DIR}); it needs Maven Central on the first build.\n"
                        + (online.stdout + online.stderr)[-4000:]
                    )
        deps = CLASSPATH_FILE.read_text(encoding="utf-8").strip()
    return os.pathsep.join([str(TARGET_DIR / "classes"), deps])


@dataclass
class Neo4jServer:
    """A running Neo4j started by :func:`start_neo4j`; call :meth:`stop` (idempotent)."""

    uri: str
    process: subprocess.Popen[bytes]
    workdir: Path
    log_path: Path
    remove_workdir: bool
    _stopped: bool = field(default=False, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, grace_s: float = 30.0) -> None:
        """Stop the server by its process id: SIGTERM, SIGKILL after ``grace_s`` seconds."""
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=grace_s)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if self.remove_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _read_uri(process: subprocess.Popen[bytes], timeout_s: float, log_path: Path) -> str | None:
    """Read the launcher's stdout until the ``BOLT_URI`` line (None on exit or timeout).

    The reader thread keeps draining stdout into ``log_path`` afterwards, so that the server
    never blocks on a full pipe.
    """
    found = threading.Event()
    uri: list[str] = []

    def reader() -> None:
        if process.stdout is None:  # Popen was given stdout=PIPE
            return
        with open(log_path, "ab") as log:
            for raw in process.stdout:
                line = raw.decode("utf-8", "replace").strip()
                if not uri and line.startswith(_URI_PREFIX):
                    uri.append(line[len(_URI_PREFIX) :].rstrip("/"))
                    found.set()
                else:
                    log.write(raw)
                    log.flush()
        found.set()

    threading.Thread(target=reader, daemon=True, name="neo4j-stdout").start()
    found.wait(timeout_s)
    return uri[0] if uri else None


def start_neo4j(
    workdir: Path | None = None,
    *,
    heap: str = DEFAULT_HEAP,
    timeout_s: float = 300.0,
    copy_from: Path | None = None,
) -> Neo4jServer:
    """Build the launcher if needed, start Neo4j, wait for its Bolt URI; stopped at exit too.

    ``copy_from``: a server folder (with ``data/databases/neo4j``) to start from, e.g. the output
    of :func:`admin_import`.
    """
    classpath = build_launcher()
    java = _require("java")
    remove = workdir is None
    root = Path(tempfile.mkdtemp(prefix="hilgen-neo4j-")) if workdir is None else workdir
    root.mkdir(parents=True, exist_ok=True)
    log_path = root / "launcher.log"
    args = [java, f"-Xmx{heap}", f"-Xlog:gc:file={root / 'gc.log'}", "-cp", classpath]
    args.append(LAUNCHER_CLASS)
    args.append(str(root / "server"))
    if copy_from is not None:
        args.append(str(copy_from))
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=root,
            start_new_session=True,
        )
    server = Neo4jServer(
        uri="", process=process, workdir=root, log_path=log_path, remove_workdir=remove
    )
    atexit.register(server.stop)
    uri = _read_uri(process, timeout_s, root / "launcher.stdout.log")
    if uri is None:
        server.remove_workdir = False
        server.stop()
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise Neo4jLaunchError(
            f"Neo4j did not report its Bolt URI within {timeout_s:.0f} s "
            f"(exit code {process.returncode}); launcher log {log_path}:\n{tail}"
        )
    server.uri = uri
    return server


@dataclass(frozen=True)
class AdminImportResult:
    server_dir: Path
    seconds: float
    output: str


def admin_import(
    csv_dir: Path,
    command_args: Sequence[str],
    server_dir: Path,
    *,
    heap: str = DEFAULT_HEAP,
    timeout_s: float = 600.0,
) -> AdminImportResult:
    """Run the real ``neo4j-admin database import full`` into ``server_dir/data``.

    ``command_args`` are the importer's options (``--nodes=...``, ``--relationships=...``) with
    paths relative to ``csv_dir``, as written by the CSV export. The result can be started with
    ``start_neo4j(copy_from=server_dir)``.
    """
    classpath = build_launcher()
    java = _require("java")
    server_dir.mkdir(parents=True, exist_ok=True)
    conf_dir = server_dir / "conf"
    conf_dir.mkdir(exist_ok=True)
    (conf_dir / "neo4j.conf").write_text(
        f"server.directories.data={server_dir / 'data'}\n"
        f"server.directories.logs={server_dir / 'logs'}\n",
        encoding="utf-8",
    )
    env = dict(os.environ, NEO4J_HOME=str(server_dir), NEO4J_CONF=str(conf_dir))
    args = [java, f"-Xmx{heap}", "-cp", classpath, ADMIN_TOOL_CLASS, "database", "import", "full"]
    args += [*command_args, "--threads=2", "neo4j"]
    started = time.perf_counter()
    done = subprocess.run(
        args, cwd=csv_dir, env=env, capture_output=True, text=True, timeout=timeout_s
    )
    seconds = time.perf_counter() - started
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise Neo4jLaunchError(
            f"neo4j-admin database import full failed (exit {done.returncode}):\n{output[-4000:]}"
        )
    return AdminImportResult(server_dir=server_dir, seconds=seconds, output=output)
