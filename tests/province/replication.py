"""A PostgreSQL primary with a synchronous streaming replica, two real servers on this machine,
as docs/failover.md sets them up: the primary waits for the replica before it answers a commit
(synchronous_standby_names = replica1, synchronous_commit = on), so whatever a client was told is
stored is on both. `crash_primary` stops the primary the way a power cut would (immediate
shutdown: no checkpoint, nothing flushed); `promote` makes the replica the primary."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.servers import free_port

BIN = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]) \
    if Path("/usr/lib/postgresql").exists() else Path("/usr/bin")
DATABASE = "piaojue"


def _as_postgres(command: list[str], *, server: bool = False) -> subprocess.CompletedProcess:
    """Run a PostgreSQL program (as the postgres user when we are root: the server refuses root).
    `server`: it starts a server, which would hold a captured pipe open for its whole life."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    if server:
        return subprocess.run(command, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=120)
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)


class Cluster:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="piaojue-ha-"))
        self.primary_dir, self.replica_dir = self.root / "primary", self.root / "replica"
        self.primary_port, self.replica_port = free_port(), free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    def url(self, *ports: int, database: str = DATABASE) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in ports or (self.primary_port, self.replica_port))
        return f"postgresql://postgres@{hosts}/{database}?target_session_attrs=read-write"

    @property
    def primary_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.primary_port}/{DATABASE}"

    @property
    def replica_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.replica_port}/{DATABASE}"

    def _start(self, directory: Path, port: int, *settings: str) -> None:
        options = " ".join([f"-p {port}", f"-k {self.root}", "-c listen_addresses=127.0.0.1", "-c fsync=on",
                            "-c max_connections=120", *settings])
        _as_postgres([str(BIN / "pg_ctl"), "-D", str(directory), "-l", str(directory.with_suffix(".log")),
                      "-w", "-t", "60", "-o", options, "start"], server=True)

    def start(self, before_replica=None) -> None:
        """Primary first (then `before_replica()`: migrations, accounts), then the replica from a base
        backup of it; returns once the replica streams synchronously."""
        _as_postgres([str(BIN / "initdb"), "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust",
                      "--encoding=UTF8", "--locale=C.UTF-8"])
        self._start(self.primary_dir, self.primary_port, "-c wal_level=replica", "-c max_wal_senders=4",
                    "-c synchronous_commit=on")
        self.sql(self.primary_port, f"CREATE DATABASE {DATABASE}", database="postgres")
        if before_replica is not None:
            before_replica()
        _as_postgres([str(BIN / "pg_basebackup"), "-D", str(self.replica_dir), "-R", "-X", "stream", "--checkpoint=fast",
                      "-d", f"host=127.0.0.1 port={self.primary_port} user=postgres application_name=replica1"])
        self._start(self.replica_dir, self.replica_port, "-c hot_standby=on")
        # Synchronous only now: until a standby is there to confirm, every commit would wait. (Set on
        # the primary alone: the promoted replica must not wait for a standby that died with it.)
        self.sql(self.primary_port, "ALTER SYSTEM SET synchronous_standby_names = 'replica1'")
        self.sql(self.primary_port, "SELECT pg_reload_conf()")
        deadline = time.monotonic() + 30
        while self.sql(self.primary_port, "SELECT sync_state FROM pg_stat_replication "
                                          "WHERE application_name = 'replica1'") != "sync":
            if time.monotonic() > deadline:
                raise RuntimeError("the replica did not start streaming synchronously")
            time.sleep(0.2)

    def sql(self, port: int, statement: str, database: str = DATABASE) -> str:
        return _as_postgres([str(BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database,
                             "-AtXq", "-c", statement]).stdout.strip()

    def crash_primary(self) -> None:
        _as_postgres([str(BIN / "pg_ctl"), "-D", str(self.primary_dir), "-m", "immediate", "-w", "stop"])

    def promote(self) -> None:
        _as_postgres([str(BIN / "pg_ctl"), "-D", str(self.replica_dir), "-w", "-t", "60", "promote"], server=True)

    def stop(self) -> None:
        for directory in (self.primary_dir, self.replica_dir):
            if (directory / "postmaster.pid").exists():
                try:
                    _as_postgres([str(BIN / "pg_ctl"), "-D", str(directory), "-m", "immediate", "-w", "stop"])
                except subprocess.CalledProcessError:
                    pass
        shutil.rmtree(self.root, ignore_errors=True)
