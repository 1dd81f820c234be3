"""A throwaway PostgreSQL server for the tests: ``initdb`` in a temporary folder, 127.0.0.1 only.

The ``pg_server`` fixture (session scope) starts one cluster for the whole test session and
stops and removes it at the end; the tests skip, saying why, on a machine without PostgreSQL's
server binaries (Debian's ``postgresql`` package puts them in ``/usr/lib/postgresql/*/bin``;
``.ci/run`` installs it). PostgreSQL refuses to run as root, so a root user runs it as the
``postgres`` user that the package creates.

The cluster has one superuser, ``tierkit_admin``, who logs in over TCP with a password
(``scram-sha-256``), so a wrong password or an unknown role is refused as on a company server.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import pytest

ADMIN = "tierkit_admin"
PASSWORD = "s3cret-Pw"
DATABASE = "tierkit_test"


@dataclass(frozen=True)
class PgServer:
    """A running server: where it listens and how to run ``psql`` against it."""

    bindir: Path
    host: str
    port: int

    def url(
        self,
        database: str = DATABASE,
        user: str = ADMIN,
        password: str | None = PASSWORD,
        query: str = "",
    ) -> str:
        secret = f":{password}" if password is not None else ""
        return f"postgresql://{user}{secret}@{self.host}:{self.port}/{database}{query}"

    def psql(self, sql: str, database: str = DATABASE) -> str:
        """Run ``sql`` (several statements, psql's ``\\copy`` too) as the superuser."""
        done = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                ADMIN,
                "-d",
                database,
                "-At",
            ],
            input=sql,
            capture_output=True,
            text=True,
            env={**os.environ, "PGPASSWORD": PASSWORD},
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"psql failed: {done.stderr}")
        return done.stdout


def find_bindir() -> Path | None:
    """The newest installed PostgreSQL's server binaries, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run_as(user: str | None, args: Sequence[str]) -> None:
    done = subprocess.run(
        list(args), user=user, capture_output=True, text=True, check=False, cwd="/"
    )
    if done.returncode:
        raise RuntimeError(f"{Path(args[0]).name} failed: {done.stdout}{done.stderr}")


def start(bindir: Path, folder: Path) -> PgServer:
    """initdb and start a cluster in ``folder`` (which must be empty or absent)."""
    user: str | None = None
    if os.geteuid() == 0:
        user = "postgres"
        owner = pwd.getpwnam(user)
        folder.mkdir(parents=True, exist_ok=True)
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data = folder / "data"
    pwfile = folder / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if user:
        os.chown(pwfile, pwd.getpwnam(user).pw_uid, -1)
    _run_as(
        user,
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            ADMIN,
            f"--pwfile={pwfile}",
            "--auth-local=scram-sha-256",
            "--auth-host=scram-sha-256",
            "--no-sync",
            "--no-instructions",
            "-E",
            "UTF8",
            "--locale=C",
        ],
    )
    port = free_port()
    options = f"-k {folder} -c listen_addresses=127.0.0.1 -p {port} -c fsync=off"
    _run_as(
        user,
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        ],
    )
    server = PgServer(bindir, "127.0.0.1", port)
    server.psql(f"CREATE DATABASE {DATABASE}", database="postgres")
    return server


def stop(server: PgServer, folder: Path) -> None:
    user = "postgres" if os.geteuid() == 0 else None
    _run_as(
        user,
        [
            str(server.bindir / "pg_ctl"),
            "-D",
            str(folder / "data"),
            "-m",
            "immediate",
            "-w",
            "stop",
        ],
    )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL's server binaries are not installed (Debian: apt-get install postgresql)"
        )
    if find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed: pip install -e '.[postgres]'")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
    folder = Path(tempfile.mkdtemp(prefix="tierkit-pg-"))
    os.chmod(folder, 0o755)
    server = start(bindir, folder / "cluster")
    try:
        yield server
    finally:
        stop(server, folder / "cluster")
        shutil.rmtree(folder, ignore_errors=True)
