"""Reading an uploaded table in a child process, so the web worker stays responsive meanwhile.

Reading a file is pure CPU in Python: inside the web worker it would hold the interpreter lock
for its whole length, and every other request of that worker (a sign-in, a need report) would
wait behind it. So ``read_table_apart`` hands the bytes to a short-lived child process, forked
from a small fork server that has imported nothing but ``data.needs.upload_table`` (a fork of the
web worker itself would copy its threads and connections). The child's address space is capped, it
is killed when it overruns the read's time budget, and its memory goes back to the system when
it exits. A child that dies or overruns is a refusal naming the problem, like any other.
"""

from __future__ import annotations

import multiprocessing
import resource
import threading
from collections.abc import Collection
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext

from data.errors import Issue, ValidationFailed
from data.needs.upload_table import Table, TableLimits, read_table

__all__ = ["CHILD_MEMORY_BYTES", "read_table_apart"]

CHILD_MEMORY_BYTES = 768 * 1024 * 1024
"""Address space of the reading child (it needs about 100 MB for a 10 MB file)."""
_GRACE_SECONDS = 2.0
"""Beyond the read's own budget: the fork and the copy of the bytes to the child."""

_context_lock = threading.Lock()
_context: ForkServerContext | None = None


def _fork_server() -> ForkServerContext:
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["data.needs.upload_table"])
            _context = context
        return _context


def _child(
    out: Connection, filename: str, content: bytes, wanted: list[str], limits: TableLimits
) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    result: Table | list[Issue]
    try:
        result = read_table(filename, content, wanted, limits)
    except ValidationFailed as exc:
        result = exc.errors
    except MemoryError:
        result = [_memory_issue()]
    out.send(result)
    out.close()


def _memory_issue() -> Issue:
    return {
        "field": "file",
        "line": None,
        "message": "filen kräver för mycket minne att läsa; använd mallen (.csv eller .xlsx)",
    }


def read_table_apart(
    filename: str, content: bytes, wanted: Collection[str], limits: TableLimits | None = None
) -> Table:
    """``data.needs.upload_table.read_table`` in a child process; the same answers and refusals."""
    bounds = limits or TableLimits()
    context = _fork_server()
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(sending, filename, content, list(wanted), bounds), daemon=True
    )
    child.start()
    sending.close()
    try:
        if not receiving.poll(bounds.seconds + _GRACE_SECONDS):
            raise ValidationFailed(
                [
                    {
                        "field": "file",
                        "line": None,
                        "message": f"filen tog mer än {bounds.seconds:g} s att läsa; "
                        "använd mallen (.csv eller .xlsx)",
                    }
                ]
            )
        try:
            result: Table | list[Issue] = receiving.recv()
        except EOFError:  # the child died without an answer: killed by the system
            result = [
                {
                    "field": "file",
                    "line": None,
                    "message": "filen kunde inte läsas (läsningen avbröts); "
                    "använd mallen (.csv eller .xlsx)",
                }
            ]
    finally:
        receiving.close()
        if child.is_alive():
            child.kill()
        child.join()
    if isinstance(result, Table):
        return result
    raise ValidationFailed(result)
