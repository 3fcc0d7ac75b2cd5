"""A real PostgreSQL with pgaudit and a real MariaDB with server_audit, on loopback in a
temporary folder, and the scripted sessions the tests (and sample_data/) are made from.

PostgreSQL and MariaDB refuse to run as root: when the tests run as root, the servers run as
``nobody`` (via runuser) in a folder handed to that user. Both listen on 127.0.0.1 only, on a
free port, and are stopped by the caller (``stop()``).

    python -m tests.support.db_servers OUT_DIR   # the sample logs of sample_data/_sources/
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_LIB = Path("/usr/lib/postgresql/15/lib")
PACKAGES = "postgresql-15 postgresql-15-pgaudit mariadb-server"
MISSING = (
    f"real database servers are not installed; to run these tests: apt-get install -y {PACKAGES}"
)
RUN_AS = "nobody"


def servers_available() -> bool:
    return (
        (PG_BIN / "initdb").exists()
        and (PG_LIB / "pgaudit.so").exists()
        and shutil.which("mariadbd") is not None
        and shutil.which("mariadb-install-db") is not None
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", RUN_AS, "--", *cmd] if os.geteuid() == 0 else cmd


def _own(folder: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(folder, user=RUN_AS)


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)  # type: ignore[call-overload]


PG_CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{root}'
shared_preload_libraries = 'pgaudit'
logging_collector = on
log_directory = '{root}/log'
log_destination = 'stderr,csvlog,jsonlog'
log_filename = 'postgresql.log'
log_rotation_size = 0
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'Asia/Shanghai'
pgaudit.log = 'read, write'
pgaudit.log_relation = on
pgaudit.log_parameter = on
pgaudit.log_rows = on
"""


@dataclass
class Postgres:
    root: Path
    port: int = field(default_factory=_free_port)

    def start(self) -> Postgres:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "log").mkdir(exist_ok=True)
        for folder in (self.root, self.root / "log"):
            _own(folder)
        data = self.root / "data"
        done = _run(
            _as_server_user(
                [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
            )
        )
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr}")
        with open(data / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write(PG_CONF.format(port=self.port, root=self.root))
        done = _run(
            _as_server_user(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(self.root / "server.log"),
                    "-w",
                    "start",
                ]
            )
        )
        if done.returncode:
            raise RuntimeError(f"pg_ctl start failed: {done.stderr}{done.stdout}")
        return self

    def psql(self, sql: str, user: str = "postgres") -> subprocess.CompletedProcess[str]:
        return _run(
            [
                str(PG_BIN / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                user,
                "-d",
                "postgres",
                "-X",
                "-q",
                "-f",
                "-",
            ],
            input=sql,
        )

    def logs(self) -> dict[str, Path]:
        log = self.root / "log"
        return {
            "stderr": log / "postgresql.log",
            "csvlog": log / "postgresql.csv",
            "jsonlog": log / "postgresql.json",
        }

    def stop(self) -> None:
        _run(
            _as_server_user(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "-w", "stop"]
            )
        )


@dataclass
class MariaDB:
    root: Path
    port: int = field(default_factory=_free_port)
    query_log_limit: int = 300
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> MariaDB:
        self.root.mkdir(parents=True, exist_ok=True)
        _own(self.root)
        done = _run(
            _as_server_user(
                [
                    "mariadb-install-db",
                    "--no-defaults",
                    f"--datadir={self.root}/data",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                ]
            )
        )
        if done.returncode:
            raise RuntimeError(f"mariadb-install-db failed: {done.stderr}")
        self.process = subprocess.Popen(
            _as_server_user(
                [
                    "mariadbd",
                    "--no-defaults",
                    f"--datadir={self.root}/data",
                    f"--socket={self.root}/mysqld.sock",
                    f"--port={self.port}",
                    "--bind-address=127.0.0.1",
                    f"--pid-file={self.root}/mysqld.pid",
                    "--plugin-load-add=server_audit",
                    "--server_audit_logging=ON",
                    "--server_audit_events=CONNECT,QUERY,TABLE",
                    f"--server_audit_file_path={self.root}/server_audit.log",
                    f"--server_audit_query_log_limit={self.query_log_limit}",
                    f"--secure-file-priv={self.root}",
                    f"--log-error={self.root}/error.log",
                    "--skip-log-bin",
                    "--innodb-buffer-pool-size=16M",
                ]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ping = _run(
                [
                    "mariadb-admin",
                    "--no-defaults",
                    "-h127.0.0.1",
                    f"-P{self.port}",
                    "-uroot",
                    "ping",
                ]
            )
            if ping.returncode == 0:
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("mariadbd did not start; see error.log in " + str(self.root))

    def sql(
        self, sql: str, user: str = "root", database: str = ""
    ) -> subprocess.CompletedProcess[str]:
        cmd = [
            "mariadb",
            "--no-defaults",
            "--comments",
            "-h127.0.0.1",
            f"-P{self.port}",
            f"-u{user}",
            "--force",
        ]
        return _run(cmd + ([database] if database else []), input=sql)

    def log(self) -> Path:
        return self.root / "server_audit.log"

    def stop(self) -> None:
        if self.process is None:
            return
        _run(
            [
                "mariadb-admin",
                "--no-defaults",
                "-h127.0.0.1",
                f"-P{self.port}",
                "-uroot",
                "shutdown",
            ]
        )
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


# The identity values the sessions write; none may reach the lake.
ID_WRITTEN = "110101199003079999"
PHONE_READ = "13800138000"
LONG_PAD = "x" * 400

PG_SETUP = f"""
CREATE TABLE accounts (id bigint PRIMARY KEY, user_name text, real_name text,
    id_card_no text, mobile text, password_hash text, city text);
CREATE TABLE orders (id bigserial PRIMARY KEY, account_id bigint, amount numeric(12,2));
CREATE ROLE kefu_li LOGIN; CREATE ROLE svc_app LOGIN; CREATE ROLE vendor_x LOGIN;
GRANT SELECT (id, user_name, city) ON accounts TO kefu_li;
GRANT ALL ON accounts, orders, orders_id_seq TO svc_app;
GRANT SELECT ON accounts TO vendor_x;
INSERT INTO accounts VALUES (1, 'zs', 'Zhang San', '110101199003074514', '{PHONE_READ}', 'h1', 'bj'),
                            (2, 'ls', 'Li Si', '110101199003071234', '13900139000', 'h2', 'sh');
INSERT INTO orders (account_id, amount) VALUES (1, 10), (2, 20);
"""
# The same scripted sessions on both servers; only the prepared statement and the export to
# a file are spelled in each dialect.
_SESSIONS = [
    (
        "svc_app",
        "/*ticket='TKT-101',purpose='refund%20dispute'*/ SELECT real_name, mobile FROM accounts WHERE id = 1;",
    ),
    ("svc_app", "SELECT real_name FROM accounts WHERE id = 2;"),
    ("vendor_x", "SELECT * FROM accounts;"),
    (
        "svc_app",
        "SELECT o.amount, a.real_name\n  FROM orders o\n  JOIN accounts a ON a.id = o.account_id\n WHERE o.account_id IN (1, 2);",
    ),
    ("svc_app", "{prepare}"),
    ("svc_app", f"UPDATE accounts SET id_card_no = '{ID_WRITTEN}' WHERE id = 2;"),
    ("{exporter}", "{export}"),
    ("kefu_li", "SELECT real_name FROM accounts WHERE id = 1;"),
    (
        "svc_app",
        f"SELECT real_name FROM accounts WHERE id = 1 AND city <> '{LONG_PAD}' AND mobile = '{PHONE_READ}';",
    ),
]


def _sessions(prepare: str, exporter: str, export: str) -> list[tuple[str, str]]:
    spelled = {"{prepare}": prepare, "{exporter}": exporter, "{export}": export}
    return [(spelled.get(user, user), spelled.get(sql, sql)) for user, sql in _SESSIONS]


PG_SESSIONS = _sessions(
    "PREPARE q(bigint) AS SELECT id_card_no FROM accounts WHERE id = $1;\nEXECUTE q(2);",
    "postgres",  # COPY to a server file needs pg_write_server_files
    "COPY (SELECT id, mobile FROM accounts) TO '{root}/mobiles.csv';",
)
MY_SETUP = f"""
CREATE DATABASE shop;
USE shop;
CREATE TABLE accounts (id bigint PRIMARY KEY, user_name varchar(50), real_name varchar(50),
    id_card_no varchar(20), mobile varchar(20), password_hash varchar(80), city varchar(500));
CREATE TABLE orders (id bigint AUTO_INCREMENT PRIMARY KEY, account_id bigint, amount decimal(12,2));
CREATE USER 'kefu_li'@'%'; GRANT SELECT (id, user_name, city) ON shop.accounts TO 'kefu_li'@'%';
CREATE USER 'svc_app'@'%'; GRANT ALL ON shop.* TO 'svc_app'@'%'; GRANT FILE ON *.* TO 'svc_app'@'%';
CREATE USER 'vendor_x'@'%'; GRANT SELECT ON shop.* TO 'vendor_x'@'%';
INSERT INTO accounts VALUES (1, 'zs', 'Zhang San', '110101199003074514', '{PHONE_READ}', 'h1', 'bj'),
                            (2, 'ls', 'Li Si', '110101199003071234', '13900139000', 'h2', 'sh');
INSERT INTO orders (account_id, amount) VALUES (1, 10), (2, 20);
"""
MY_SESSIONS = _sessions(
    "PREPARE q FROM 'SELECT id_card_no FROM accounts WHERE id = ?'; SET @a = 2; EXECUTE q USING @a;",
    "svc_app",
    "SELECT id, mobile FROM accounts INTO OUTFILE '{root}/mobiles.csv';",
)


def run_pg_sessions(pg: Postgres) -> None:
    setup = pg.psql(PG_SETUP)
    if setup.returncode:
        raise RuntimeError(setup.stderr)
    for user, sql in PG_SESSIONS:
        pg.psql(sql.format(root=pg.root), user=user)
    time.sleep(0.5)  # the logging collector writes asynchronously


# The settings a Chinese provider's server often runs with: messages in Chinese (initdb takes
# lc_messages from a zh_CN system), PostgreSQL's default log_line_prefix (no user), and the
# connection records that then name each session's user; verbose errors add SQLSTATEs and
# LOCATION lines. Applied to the running server (one server per test run), into new files.
ZH_LOCALE = "zh_CN.UTF-8"
ZH_MISSING = (
    f"the {ZH_LOCALE} locale is not installed; to run this test: apt-get install -y locales "
    f"&& localedef -i zh_CN -f UTF-8 {ZH_LOCALE}"
)
ZH_SETTINGS = {
    "lc_messages": ZH_LOCALE,
    "log_line_prefix": "%m [%p] ",
    "log_connections": "on",
    "log_error_verbosity": "verbose",
    "log_filename": "postgresql-zh-switch.log",
}


def zh_locale_available() -> bool:
    done = _run(["locale", "-a"])
    return any(name.lower().replace("-", "") == "zh_cn.utf8" for name in done.stdout.split())


def _wait_for(ready: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the test server did not get ready within {seconds:.0f} s")
        time.sleep(0.2)


def run_pg_sessions_in_chinese(pg: Postgres) -> dict[str, Path]:
    """The same sessions again, after switching the server to ZH_SETTINGS (reload, rotate)."""
    sql = "".join(f"ALTER SYSTEM SET {k} = '{v}';\n" for k, v in ZH_SETTINGS.items())
    done = pg.psql(sql + "SELECT pg_reload_conf();\n")
    if done.returncode:
        raise RuntimeError(done.stderr)
    # The logger and the postmaster take the new settings asynchronously: wait until the
    # logger writes the new file and a new session starts with the new settings.
    # Lines already on their way (the reloading session's own) may reach the switch file in
    # the old format; once every new session has the new settings, the sessions' file starts.
    log = pg.root / "log"
    _wait_for(
        lambda: (
            (log / "postgresql-zh-switch.log").exists()
            and ZH_LOCALE in (shown := pg.psql("SHOW lc_messages;\nSHOW log_line_prefix;\n").stdout)
            and "%u" not in shown
        )
    )
    pg.psql("ALTER SYSTEM SET log_filename = 'postgresql-zh.log';\nSELECT pg_reload_conf();\n")
    _wait_for(lambda: (log / "postgresql-zh.log").exists())
    time.sleep(0.3)
    for user, sql in PG_SESSIONS:
        pg.psql(sql.format(root=pg.root), user=user)
    time.sleep(0.5)
    return {
        "stderr": log / "postgresql-zh.log",
        "csvlog": log / "postgresql-zh.csv",
        "jsonlog": log / "postgresql-zh.json",
    }


def run_my_sessions(my: MariaDB) -> None:
    setup = my.sql(MY_SETUP)
    if setup.returncode:
        raise RuntimeError(setup.stderr)
    for user, sql in MY_SESSIONS:
        my.sql(sql.format(root=my.root), user=user, database="shop")


def write_samples(out: Path, work: Path) -> None:
    """Run both servers and copy their logs into ``out`` (sample_data/_sources)."""
    pg = Postgres(work / "pg").start()
    try:
        run_pg_sessions(pg)
    finally:
        pg.stop()
    my = MariaDB(work / "my").start()
    try:
        run_my_sessions(my)
    finally:
        my.stop()
    (out / "pgaudit").mkdir(parents=True, exist_ok=True)
    (out / "server_audit").mkdir(parents=True, exist_ok=True)
    shutil.copy(pg.logs()["stderr"], out / "pgaudit" / "postgresql.log")
    shutil.copy(my.log(), out / "server_audit" / "server_audit.log")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        write_samples(Path(sys.argv[1]), Path(tmp))
