"""Benchmark: the enterprise registry's staff pages and API under load, with city-scale data on
PostgreSQL (100,000 enterprises), served by the production server (``envforce serve``: gunicorn,
gthread workers).

Run by hand from the project root (not collected by pytest):

    uv run python benchmarks/registry_load.py [--enterprises 100000] [--clients 50] [--seconds 30]

What it does, in order:

1. creates its own PostgreSQL database (``--database-url``, default ``envforce_bench`` on the
   local server; the names ``envforce`` and ``test_*`` are refused), migrates it and fills it
   with ``--enterprises`` enterprises and what hangs off them (``benchmarks/_registry_data.py``;
   bulk inserts, no audit entries). An existing database with the same number of enterprises is
   reused; ``--rebuild`` starts again;
2. creates one officer account per client (through the account service) with an API token, and
   for every run a fresh signed-in session per client;
3. with ``--explain``, prints every SQL query of one request of each kind with its time, and
   ``EXPLAIN ANALYZE`` of the enterprise queries;
4. for each ``--workers`` × ``--threads`` combination: starts ``envforce serve`` on a free
   loopback port, checks that every URL of the mix answers 200, warms up, then runs the
   scenarios: ``saturation`` (closed loop, no think time) and ``think`` (each client waits
   0.5–1.5 s, mean 1 s, between requests, as staff browsing), and stops the server;
5. prints per-family latency percentiles (client side) and throughput as Markdown tables, the
   CPU used by the server, the database backends and the load generator, and the machine's load.

The load only ever targets 127.0.0.1; every client stops by itself at the deadline.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _http_load import FamilyStats, Request, RunResult, run_load, stats  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/envforce_bench"
HOST = "127.0.0.1"
PAGE_SIZE = 50
USER_PREFIX = "bench_officer_"
USER_PASSWORD = "Bench-2026-Registry!"  # noqa: S105 - a throwaway account in the benchmark's own database

# The request mix: family -> weight. Pages are what staff browse; the API what integrations call.
MIX: dict[str, int] = {
    "page list p1": 10, "page list deep": 5, "page search name": 12, "page search code": 8,
    "page filter street+class": 10, "page detail": 15,
    "api list p1": 7, "api list deep": 3, "api search name": 8, "api search code": 5,
    "api filter street+class": 7, "api detail": 10,
}
FAMILY_GROUPS = {
    "list p1": ("page list p1", "api list p1"),
    "list deep page": ("page list deep", "api list deep"),
    "search name": ("page search name", "api search name"),
    "search credit code": ("page search code", "api search code"),
    "filter street+class": ("page filter street+class", "api filter street+class"),
    "detail": ("page detail", "api detail"),
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- Database ----------------------------------------------------------------------------------
def check_database_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit("this benchmark runs on PostgreSQL: --database-url must be postgres://...")
    name = parts.path.lstrip("/")
    if not name or name == "envforce" or name.startswith("test_") or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use the database {name!r}: give the benchmark a database of its own")
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the benchmark's database must be on this machine")
    return name


def ensure_database(url: str, name: str, *, rebuild: bool) -> None:
    import psycopg
    from psycopg import sql

    admin = urllib.parse.urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and rebuild:
            log(f"dropping database {name}")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            log(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def run_envforce(args: Sequence[str], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "envforce.cli", *args], check=True, env=env, cwd=PROJECT_ROOT)


def ensure_data(count: int, seed: int) -> None:
    from _registry_data import analyze, build

    from envforce.registry.models import Enterprise

    existing = Enterprise.objects.count()
    if existing == count:
        log(f"reusing the {count:,} enterprises already in the database")
        return
    if existing:
        raise SystemExit(f"the database holds {existing:,} enterprises, not {count:,}: run with --rebuild")
    log(f"building {count:,} enterprises (bulk inserts, no audit entries) ...")
    summary = build(count, seed=seed, progress=log)
    log(f"built in {summary.seconds:.0f} s: {asdict(summary)}")
    log("VACUUM ANALYZE ...")
    analyze()


def ensure_users(clients: int) -> list[Any]:
    """One officer per client, made through the account service, each with an API token."""
    from envforce.accounts import services as accounts
    from envforce.accounts.choices import Role
    from envforce.accounts.models import User
    from envforce.core.actors import SystemActor

    actor = SystemActor("bench", "系统：性能测试")
    users = []
    for i in range(1, clients + 1):
        username = f"{USER_PREFIX}{i:03d}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = accounts.create_user(username=username, password=USER_PASSWORD, role=Role.OFFICER,
                                        display_name=f"压测执法人员{i:03d}", actor=actor)
        users.append(user)
    return users


def api_tokens(users: Sequence[Any]) -> list[str]:
    """Each user's API token, obtained as an integration does: POST /api/auth/token/."""
    from django.test import Client

    tokens = []
    for user in users:
        response = Client(HTTP_HOST=HOST).post(
            "/api/auth/token/", {"username": user.username, "password": USER_PASSWORD},
            content_type="application/json")
        if response.status_code != 200:
            raise SystemExit(f"could not obtain an API token for {user.username}: {response.status_code}")
        tokens.append(response.json()["token"])
    return tokens


def signed_in_sessions(users: Sequence[Any]) -> list[dict[str, str]]:
    """A fresh session per user, signed in through the login form (in-process)."""
    from django.conf import settings
    from django.test import Client

    cookies = []
    for user in users:
        client = Client(HTTP_HOST=HOST)
        response = client.post("/login/", {"username": user.username, "password": USER_PASSWORD})
        if response.status_code != 302:
            raise SystemExit(f"could not sign in as {user.username}: {response.status_code}")
        cookies.append({settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value})
    return cookies


# ---- The request mix ---------------------------------------------------------------------------
@dataclass
class Material:
    """What the URLs are made of, read from the database once."""

    enterprise_ids: list[int]
    credit_codes: list[str]
    fragments: list[str]
    streets: list[str]
    classes: list[str]
    pages: int


def collect_material(seed: int) -> Material:
    from envforce.registry.choices import SupervisionClass
    from envforce.registry.models import Enterprise, Street

    rng = random.Random(f"bench-material:{seed}")
    total = Enterprise.objects.count()
    ids = list(Enterprise.objects.order_by("?").values_list("id", "credit_code", "name")[:3000])
    fragments = []
    for _pk, _code, name in ids[:600]:
        # What staff type: the start of the distinctive part of a name (trade name, trade name and
        # business word), 2 to 4 characters, the common "上海" / "上海市××区" prefix left out.
        rest = name
        for prefix in ("上海市", "上海"):
            if rest.startswith(prefix):
                rest = rest[len(prefix):]
                break
        if len(rest) > 3 and rest[2] == "区":
            rest = rest[3:]
        elif len(rest) > 4 and rest[3] == "区":
            rest = rest[4:]
        fragments.append(rest[: rng.choice((2, 2, 3, 4))])
    return Material(
        enterprise_ids=[pk for pk, _, _ in ids], credit_codes=[code for _, code, _ in ids[:2000]],
        fragments=fragments, streets=list(Street.objects.values_list("code", flat=True)),
        classes=list(SupervisionClass.values), pages=max(1, -(-total // PAGE_SIZE)))


def make_picker(material: Material, tokens: Sequence[str], only: str | None = None) -> Callable[[random.Random, int], Request]:
    families = [f for f in MIX if only is None or f == only]
    weights = [MIX[f] for f in families]
    quote = urllib.parse.quote

    def pick(rng: random.Random, client: int) -> Request:
        family = rng.choices(families, weights=weights, k=1)[0]
        api = family.startswith("api")
        deep = rng.randint(max(1, material.pages // 2), material.pages)
        path = {
            "list p1": "",
            "list deep": f"?page={deep}",
            "search name": ("?search=" if api else "?q=") + quote(rng.choice(material.fragments)),
            "search code": ("?search=" if api else "?q=") + rng.choice(material.credit_codes),
            "filter street+class": f"?street={rng.choice(material.streets)}"
                                   f"&supervision_class={rng.choice(material.classes)}",
        }
        kind = family.split(" ", 1)[1]
        if kind == "detail":
            pk = rng.choice(material.enterprise_ids)
            url = f"/api/enterprises/{pk}/" if api else f"/registry/enterprises/{pk}/"
        else:
            url = ("/api/enterprises/" if api else "/registry/enterprises/") + path[kind]
        headers = (("Authorization", f"Token {tokens[client % len(tokens)]}"), ("Accept", "application/json")) \
            if api else (("Accept", "text/html"),)
        return Request(family, url, headers)

    return pick


# ---- Server ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    """``envforce serve`` in its own process group, stopped by its process group id."""

    def __init__(self, env: dict[str, str], workers: int, threads: int, log_path: Path) -> None:
        self.port = free_port()
        self.workers = workers
        self.threads = threads
        self.log_file = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "envforce.cli", "serve", "--host", HOST, "--port", str(self.port),
             "--workers", str(workers), "--threads", str(threads)],
            env=env, cwd=PROJECT_ROOT, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with {self.proc.returncode}; see {self.log_file.name}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("the server did not answer /healthz in time")

    def pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        found = [self.proc.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                found.append(int(stat.parent.name))
        return found

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log_file.close()


# ---- CPU accounting (read-only looks at /proc) -------------------------------------------------
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Sequence[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return out


def db_backend_pids(dbname: str) -> list[int]:
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text.startswith("postgres: ") and f" {dbname} " in text:
            pids.append(int(cmdline.parent.name))
    return pids


def machine_busy() -> tuple[float, float]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) / TICK, idle / TICK


@dataclass(frozen=True)
class Scenario:
    name: str
    think: tuple[float, float] | None


SCENARIOS = ("saturation", "think")


def scenario(name: str, think_time: float) -> Scenario:
    """``think``: each client waits a uniform 0.5–1.5 × ``think_time`` seconds between requests."""
    return Scenario(name, None if name == "saturation" else (0.5 * think_time, 1.5 * think_time))


@dataclass
class ScenarioResult:
    scenario: str
    think: tuple[float, float] | None
    workers: int
    threads: int
    clients: int
    seconds: float
    families: list[FamilyStats]
    groups: list[FamilyStats]
    total: FamilyStats
    server_cpu: float
    db_cpu: float
    client_cpu: float
    machine_busy: float  # share of both cores busy (anything on the machine)
    load_before: float
    load_after: float
    errors: list[str]


def measure(server: Server, dbname: str, scenario: Scenario, clients: int, seconds: float,
            pick: Callable[[random.Random, int], Request], sessions: Sequence[dict[str, str]],
            seed: int) -> ScenarioResult:
    load_before = os.getloadavg()[0]
    server_pids = server.pids()
    db_pids = db_backend_pids(dbname)
    s0, d0, m0 = cpu_seconds(server_pids), cpu_seconds(db_pids), machine_busy()
    result: RunResult = run_load(HOST, server.port, clients=clients, seconds=seconds, pick=pick,
                                 think=scenario.think, seed=seed, cookies=sessions)
    db_pids_after = db_backend_pids(dbname)
    s1, d1, m1 = cpu_seconds(server_pids), cpu_seconds(sorted({*db_pids, *db_pids_after})), machine_busy()
    total_time = m1[0] - m0[0]
    busy = 1 - (m1[1] - m0[1]) / total_time if total_time else float("nan")
    families = [stats([s for s in result.samples if s.family == f], result.seconds, f) for f in MIX]
    groups = [stats([s for s in result.samples if s.family in members], result.seconds, g)
              for g, members in FAMILY_GROUPS.items()]
    groups.append(stats([s for s in result.samples if s.family.startswith("page")], result.seconds, "all pages"))
    groups.append(stats([s for s in result.samples if s.family.startswith("api")], result.seconds, "all API"))
    return ScenarioResult(
        scenario.name, scenario.think, server.workers, server.threads, clients, result.seconds, families, groups,
        stats(result.samples, result.seconds, "all requests"),
        sum(s1.get(p, 0) - s0.get(p, 0) for p in s1), sum(d1.get(p, 0) - d0.get(p, 0) for p in d1),
        result.client_cpu, busy, load_before, os.getloadavg()[0], result.errors)


# ---- Preflight and --explain -------------------------------------------------------------------
def preflight(port: int, material: Material, sessions: Sequence[dict[str, str]], tokens: Sequence[str]) -> None:
    """Every family answers 200 with the expected content type before anything is timed."""
    for family in MIX:
        pick = make_picker(material, tokens, only=family)
        result = run_load(HOST, port, clients=1, seconds=30, pick=pick, max_requests_per_client=2,
                          cookies=sessions[:1])
        bad = [s for s in result.samples if s.status != 200]
        if bad or result.errors:
            raise SystemExit(f"preflight failed for {family}: statuses {[s.status for s in result.samples]} "
                             f"{result.errors}")


def explain(material: Material, users: Sequence[Any], tokens: Sequence[str]) -> None:
    """Each kind of request once, in-process through Django's test client on the benchmark database:
    its SQL with timings, and EXPLAIN ANALYZE of the queries on the enterprise table."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    page = Client(HTTP_HOST=HOST)
    page.force_login(users[0])
    api = Client(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Token {tokens[0]}")
    rng = random.Random(7)
    for family in MIX:
        request = make_picker(material, tokens, only=family)(rng, 0)
        client = api if family.startswith("api") else page
        client.get(request.path)  # warm caches
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(request.path)
            elapsed = time.perf_counter() - t0
        print(f"\n### {family}: `{urllib.parse.unquote(request.path)}` → {response.status_code}, "
              f"{elapsed * 1000:.1f} ms in-process, {len(ctx.captured_queries)} queries")
        for q in ctx.captured_queries:
            print(f"- {float(q['time']) * 1000:.1f} ms: `{q['sql'][:220]}`")
        for q in ctx.captured_queries:
            if "registry_enterprise" in q["sql"] and q["sql"].lstrip().upper().startswith("SELECT"):
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                print(f"\n```\n{q['sql'][:300]}\n{plan}\n```")


# ---- Report ------------------------------------------------------------------------------------
def table(rows: Sequence[FamilyStats]) -> str:
    lines = ["| endpoint | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms | mean KiB | p95 < 150 ms |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.family} | {r.requests:,} | {r.errors} | {r.rps:.1f} | {r.p50_ms:.0f} | {r.p95_ms:.0f} "
                     f"| {r.p99_ms:.0f} | {r.max_ms:.0f} | {r.kib:.1f} | {'yes' if r.p95_ms < 150 else 'no'} |")
    return "\n".join(lines)


def report(result: ScenarioResult) -> str:
    think = ("no think time (closed loop)" if result.think is None
             else f"think time {result.think[0]:g}–{result.think[1]:g} s (mean {sum(result.think) / 2:g} s)")
    head = (f"#### {result.scenario}: {result.clients} clients, {think}, {result.workers} workers × "
            f"{result.threads} threads, {result.seconds:.0f} s\n\n"
            f"CPU seconds used during the run: server {result.server_cpu:.1f}, PostgreSQL backends "
            f"{result.db_cpu:.1f}, load generator {result.client_cpu:.1f} (of {2 * result.seconds:.0f} "
            f"available on 2 cores); machine busy {result.machine_busy:.0%}; load average "
            f"{result.load_before:.1f} → {result.load_after:.1f}.\n")
    parts = [head, table([*result.groups, result.total]), "", "Per endpoint:", "", table(result.families)]
    if result.errors:
        parts += ["", "Errors (first ones): " + "; ".join(result.errors[:5])]
    return "\n".join(parts)


def parse_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each measured run")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured load before each server's runs")
    parser.add_argument("--scenarios", default="saturation,think",
                        help="comma-separated: saturation (no think time), think (think time between requests)")
    parser.add_argument("--think-time", type=float, default=1.0,
                        help="mean think time of the think scenario, seconds (each wait is 0.5–1.5 × this)")
    parser.add_argument("--workers", default="5", help="gunicorn workers; a comma list runs each")
    parser.add_argument("--threads", default="8", help="threads per worker; a comma list runs each")
    parser.add_argument("--database-url", default=os.environ.get("ENVFORCE_BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--var-dir", default=os.environ.get("ENVFORCE_VAR_DIR", str(PROJECT_ROOT / "var" / "bench")),
                        help="the server's var directory (secret key, static files, server logs)")
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark database and build it again")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain", action="store_true", help="print the SQL and plans of each request kind")
    parser.add_argument("--no-load", action="store_true", help="prepare (and --explain) only")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    dbname = check_database_url(args.database_url)
    unknown = set(args.scenarios.split(",")) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios: {sorted(unknown)}")
    var_dir = Path(args.var_dir).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ENVFORCE_DATABASE_URL": args.database_url, "ENVFORCE_VAR_DIR": str(var_dir),
           "ENVFORCE_ALLOWED_HOSTS": "127.0.0.1,localhost", "DJANGO_SETTINGS_MODULE": "envforce.config.settings",
           "ENVFORCE_DEBUG": "0", "ENVFORCE_LOG_LEVEL": "WARNING"}
    os.environ.update(env)

    ensure_database(args.database_url, dbname, rebuild=args.rebuild)
    log("migrating ...")
    run_envforce(["migrate", "--noinput", "-v", "0"], env)
    import django

    django.setup()
    ensure_data(args.enterprises, args.seed)
    users = ensure_users(args.clients)
    tokens = api_tokens(users)
    material = collect_material(args.seed)
    if args.explain:
        explain(material, users, tokens)
    if args.no_load:
        return 0

    from django.db import connection

    started = datetime.now(UTC)
    results: list[ScenarioResult] = []
    print(f"\n## Registry load, {started:%Y-%m-%d %H:%M UTC}: {args.enterprises:,} enterprises, "
          f"{args.clients} clients, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n")
    sessions = signed_in_sessions(users)  # database sessions: valid across server restarts
    connection.close()  # the orchestrator holds no database connection while measuring
    for workers in parse_list(args.workers):
        for threads in parse_list(args.threads):
            server = Server(env, workers, threads, var_dir / f"serve-{workers}x{threads}.log")
            try:
                server.wait_ready()
                preflight(server.port, material, sessions, tokens)
                pick = make_picker(material, tokens)
                if args.warmup:
                    run_load(HOST, server.port, clients=args.clients, seconds=args.warmup, pick=pick, seed=999,
                             cookies=sessions)
                for name in args.scenarios.split(","):
                    log(f"running {name}: {workers} workers × {threads} threads, {args.clients} clients, "
                        f"{args.seconds:.0f} s ...")
                    result = measure(server, dbname, scenario(name, args.think_time), args.clients, args.seconds, pick, sessions,
                                     args.seed)
                    results.append(result)
                    print(report(result) + "\n", flush=True)
            finally:
                server.stop()
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
