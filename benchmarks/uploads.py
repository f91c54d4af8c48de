"""Upload benchmark: hostile and full-size files against the real server, one web worker.

Run: ``.venv/bin/python benchmarks/uploads.py`` (``--seconds S`` for the concurrent phase, default
15). Not part of the test run.

What it does:

1. Creates a fresh PostgreSQL schema (``--postgres-url`` or ``FORDELA_TEST_POSTGRES_URL``) with
   Stockholm county's demo data, an API token for the Stockholm municipal coordinator and one for
   the county coordinator.
2. Starts ``fordela serve --workers 1`` as a subprocess on a free localhost port.
3. Sends every file of the attack corpus (``tests/resilience/upload_attacks.py``), a full
   10,000-row .xlsx and CSV, and files built to sit just inside each cap (the most XML elements,
   the longest CSV lines up to the body limit) to ``POST /api/v1/needs/upload``, one at a time,
   and prints each one's time and peak memory: the worker's ``VmHWM`` (reset through
   ``/proc/PID/clear_refs`` before each upload) plus the peaks of its reading processes (the fork
   server and the child that reads the file, sampled every 5 ms) — an upper bound.
4. Three clients upload the slowest of those files in a loop while a fourth sends the unrelated
   ``GET /api/v1/auth/me`` every 50 ms; prints its p50/p95/max latency, against a baseline of the
   same requests with no upload running.

Targets (issue 15): every file within the 10 MB limit ≤ 1 s and ≤ 300 MB, and the unrelated
request's p95 ≤ 200 ms while three such uploads run.

Measured 2026-12-06 on the 2-core machine shared with two other engineers' test runs (load
average about 3), PostgreSQL 15 on the same cores: every attack file answered in 65–340 ms, the
slowest file Stockholm's full 1,232-row .xlsx (stored) in 454 ms; peak memory at most 269 MB
(the 9.6 MB CSV at the line cap; the worker alone rests at 124 MB); an unrelated request's p95
37 ms (p50 11 ms, max 182 ms) while three clients uploaded that .xlsx 63 times, against 9 ms
with no upload. Targets met. Before (the issue's figures, openpyxl in the worker): a 4.7 KB
.xlsx 9.5 s and 1.4 GB, a 208 KB one 26 s and 1.7 GB, an unrelated request 16–19 s. An earlier
version of this benchmark on SQLite (not the production database) saw the unrelated request wait
seconds while three uploads ran, with the reading already in a child process. The likely cause:
on SQLite every transaction is ``BEGIN IMMEDIATE`` (``data/db.py``), so each request holds the
one writer lock from its credential check to its answer, the upload's while its child reads.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from openpyxl import Workbook
from sqlalchemy import Engine, select

from benchmarks.demo_day import new_schema
from benchmarks.load import free_port, start_server
from data.access.tokens import create_api_token
from data.db import session_scope
from data.demo import seed_demo
from data.models import CareHome, Item, User
from tests.resilience.upload_attacks import HEADER, attacks, xlsx

ROUND = date(2026, 12, 7)


def seed(engine: Engine) -> tuple[str, str, list[str], list[str]]:
    """Tokens of the Stockholm coordinator and the county coordinator; Stockholm's home ids and
    the item codes."""
    with session_scope(engine) as session:
        seed_demo(session, round_date=ROUND)
        tokens = []
        for username in ("kommun-stockholm", "lansstyrelsen"):
            user = session.scalars(select(User).where(User.username == username)).one()
            tokens.append(create_api_token(session, user=user, name="bench")[1])
        homes = session.scalars(
            select(CareHome.id).where(CareHome.municipality_code == "0180").order_by(CareHome.id)
        ).all()
        items = session.scalars(select(Item.code).order_by(Item.code)).all()
    return tokens[0], tokens[1], list(homes), list(items)


def full_files(homes: list[str], items: list[str]) -> dict[str, tuple[str, bytes]]:
    """Every Stockholm home × every item (stored), and files at the edge of each cap."""
    rows = [[home, item, "1", "5", "", "none"] for home in homes for item in items][:10_000]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(HEADER))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    csv_text = ",".join(HEADER) + "\r\n" + "".join(",".join(r) + "\r\n" for r in rows)
    long_line = ",".join(HEADER) + "," + "x" * 900 + "\r\n"
    cells = "".join(f'<c r="{chr(71 + c)}{{r}}"><v>1</v></c>' for c in range(11))

    titles = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for i, name in enumerate(HEADER)
    )
    namespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

    def dense() -> list[bytes]:
        head = f'<worksheet xmlns="{namespace}"><sheetData><row r="1">{titles}</row>'
        body = "".join(f'<row r="{r}">' + cells.format(r=r) + "</row>" for r in range(2, 10_001))
        return [head.encode(), body.encode(), b"</sheetData></worksheet>"]

    return {
        f"Stockholm's {len(rows)} rows .xlsx (openpyxl)": ("full.xlsx", out.getvalue()),
        f"Stockholm's {len(rows)} rows CSV": ("full.csv", csv_text.encode()),
        "element cap .xlsx (11 cells × 10,000 rows)": ("dense.xlsx", xlsx(lambda: iter(dense()))),
        "line cap CSV (10,000 lines of 950 chars)": ("long.csv", long_line.encode() * 10_000),
    }


def status_mb(pid: int, field: str) -> float:
    """``VmHWM`` or ``VmRSS`` of a process in MB (0 once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


class Peak:
    """The worker's peak (``VmHWM``) plus the largest peaks its helper processes reached."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.helpers: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample)

    def __enter__(self) -> Peak:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        self.thread.start()
        return self

    def _sample(self) -> None:
        while not self.stop.is_set():
            for child in descendants(self.pid):
                self.helpers[child] = max(self.helpers.get(child, 0.0), status_mb(child, "VmHWM"))
            time.sleep(0.005)

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()

    @property
    def mb(self) -> float:
        # The fork server lives on; of the short-lived readers the largest counts.
        ordered = sorted(self.helpers.values(), reverse=True)
        return status_mb(self.pid, "VmHWM") + sum(ordered[:2])


def upload(client: httpx.Client, token: str, name: str, content: bytes) -> tuple[float, int]:
    start = time.perf_counter()
    response = client.post(
        "/api/v1/needs/upload",
        files={"file": (name, content)},
        headers={"Authorization": f"Bearer {token}"},
    )
    return time.perf_counter() - start, response.status_code


def probe(base: str, token: str, stop: threading.Event, out: list[float]) -> None:
    """``GET /api/v1/auth/me`` every 50 ms until ``stop``; each latency in ms."""
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            start = time.perf_counter()
            client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
            out.append((time.perf_counter() - start) * 1000)
            time.sleep(0.05)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "FORDELA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--file", help="the file the three clients upload (default: the slowest)")
    args = parser.parse_args()
    with new_schema(args.postgres_url, prefix="fordela_uploads") as engine:
        municipal, county, homes, items = seed(engine)
        url = engine.url.render_as_string(hide_password=False)
        run(url, municipal, county, homes, items, args)


def run(
    url: str,
    municipal: str,
    county: str,
    homes: list[str],
    items: list[str],
    args: argparse.Namespace,
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="fordela-uploads-"))
    files = {name: (f, c) for name, (f, c, _) in attacks(homes[0]).items()}
    files.update(full_files(homes, items))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port, 1, folder / "server.log")
    pid = server.pid
    try:
        times: dict[str, float] = {}
        with httpx.Client(base_url=base, timeout=120) as client:
            upload(client, municipal, "warm.csv", b"care_home_id\r\n")
            print(f"worker at rest: {status_mb(pid, 'VmRSS'):.0f} MB")
            print(f"{'file':48} {'size':>8} {'status':>6} {'time':>8} {'peak':>8}")
            peaks: dict[str, float] = {}
            for name, (filename, content) in files.items():
                with Peak(pid) as peak:
                    seconds, status = upload(client, municipal, filename, content)
                times[name], peaks[name] = seconds, peak.mb
                size = f"{len(content) / 1e6:.2f} MB"
                print(f"{name:48} {size:>8} {status:>6} {seconds * 1000:6.0f} ms {peak.mb:5.0f} MB")
        worst = max(times, key=lambda n: times[n])
        fattest = max(peaks, key=lambda n: peaks[n])
        print(f"worst upload time: {worst} — {times[worst] * 1000:.0f} ms")
        print(f"worst upload peak memory: {fattest} — {peaks[fattest]:.0f} MB")

        quiet: list[float] = []
        stop = threading.Event()
        thread = threading.Thread(target=probe, args=(base, county, stop, quiet))
        thread.start()
        time.sleep(min(5.0, args.seconds))
        stop.set()
        thread.join()

        busy: list[float] = []
        stop = threading.Event()
        worst = args.file or worst
        filename, content = files[worst]
        uploads: list[float] = []

        def uploader() -> None:
            with httpx.Client(base_url=base, timeout=120) as client:
                while not stop.is_set():
                    uploads.append(upload(client, municipal, filename, content)[0])

        threads = [threading.Thread(target=uploader) for _ in range(3)]
        with Peak(pid) as peak:
            for t in threads:
                t.start()
            time.sleep(0.5)
            prober = threading.Thread(target=probe, args=(base, county, stop, busy))
            prober.start()
            time.sleep(args.seconds)
            stop.set()
            for t in [*threads, prober]:
                t.join()
        print(
            f"unrelated GET /api/v1/auth/me, no upload: n={len(quiet)} "
            f"p50 {statistics.median(quiet):.0f} ms, p95 {p95(quiet):.0f} ms"
        )
        print(
            f"unrelated GET /api/v1/auth/me while three clients upload {worst!r} "
            f"({len(uploads)} uploads, each {statistics.median(uploads) * 1000:.0f} ms median, "
            f"{max(uploads) * 1000:.0f} ms max; peak {peak.mb:.0f} MB): "
            f"n={len(busy)} p50 {statistics.median(busy):.0f} ms, p95 {p95(busy):.0f} ms, "
            f"max {max(busy):.0f} ms"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    os.environ.setdefault("FORDELA_WEB_IN_FLIGHT", "4")
    main()
