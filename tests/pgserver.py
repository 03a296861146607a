"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl in a temporary folder, Unix socket only.

PostgreSQL refuses to run as root, and CI runs as root: the server then runs as the `postgres` account the
Debian package creates (else `nobody`), in a folder that account owns. Nothing listens on TCP.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def find_bin() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin holding initdb (Debian's layout), else initdb on PATH."""
    found = [Path(d) for d in glob.glob("/usr/lib/postgresql/*/bin") if (Path(d) / "initdb").exists()]
    if found:
        return max(found, key=lambda d: int(re.sub(r"\D", "", d.parent.name) or 0))
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path else None


@dataclass
class Server:
    """A running cluster: its folder and a superuser that connects without a password over the socket."""

    root: Path
    bin: Path
    run_as: dict[str, Any]
    user: str = "triage"

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@/{dbname}?host={self.root}"

    def new_database(self) -> str:
        """A fresh empty database's URL (a new one per test is cheaper than cleaning one)."""
        name = "t_" + uuid.uuid4().hex[:12]
        subprocess.run([str(self.bin / "createdb"), "-h", str(self.root), "-U", self.user, name],
                       check=True, capture_output=True, timeout=60)
        return self.url(name)

    def stop(self) -> None:
        subprocess.run([str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60, cwd=self.root, **self.run_as)
        shutil.rmtree(self.root, ignore_errors=True)


def start_server(bin_dir: Path) -> Server:
    """initdb and start a cluster; fsync off because the data is thrown away (a start takes ~2 s)."""
    root = Path(tempfile.mkdtemp(prefix="triage-pg-"))
    run_as: dict[str, Any] = {}
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            account = pwd.getpwnam("nobody")
        os.chown(root, account.pw_uid, account.pw_gid)
        run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    root.chmod(0o755)  # the socket lives here; the data folder inside stays 0700
    env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "TZ": "UTC"}
    def run(*cmd: str) -> None:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=root, env=env, **run_as)
        if proc.returncode:
            log = root / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr or proc.stdout}\n{tail}")
    run(str(bin_dir / "initdb"), "-D", str(root / "data"), "-U", "triage", "--auth=trust", "-E", "UTF8",
        "--no-locale", "--no-sync")
    options = f"-c listen_addresses='' -k {root} -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
    run(str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-o", options, "-l", str(root / "log"), "-w", "start")
    return Server(root, bin_dir, run_as)
