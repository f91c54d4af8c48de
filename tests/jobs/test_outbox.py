"""The outbox against a real HTTP receiver on 127.0.0.1: retries, dead letters, crashes, races.

The receiver keeps the idempotency keys it has accepted and answers a repeated key with 409, as an
idempotent endpoint does; "exactly once as far as the receiver can tell" means each key accepted
once, however many POSTs carried it.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from data.db import session_scope
from data.escalations.requests import get_escalation
from data.outreach.outbox import claim_due_messages, enqueue_message, get_message, list_messages
from jobs.outreach.outbox import drain_outbox
from jobs.outreach.settings import OutboxSettings
from jobs.steps.escalate import escalate_round
from tests.jobs.conftest import ACTOR, ApprovedRound, use_up_free_stock

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
KEYS = ["ESK-20261124-HAND", "ESK-20261124-IIR"]


@dataclass
class Receiver:
    """What the test endpoint saw: every POST's key, and the keys it accepted (once each)."""

    fail_first: int = 0
    fail_status: int = 503
    url: str = ""
    posts: list[str] = field(default_factory=list)
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.posts.append(key)
            if self.posts.count(key) <= self.fail_first:
                return self.fail_status, {"error": "try again later"}
            if key in self.accepted:
                return 409, {"status": "duplicate"}
            self.accepted[key] = body
            return 201, {"status": "acknowledged", "reference": f"SoS-{len(self.accepted)}"}


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            status, answer = receiver.answer(self.headers.get("Idempotency-Key", ""), body)
            content = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}/begaran"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def settings(url: str | None, **changes: Any) -> OutboxSettings:
    values: dict[str, Any] = {"endpoint": url, "backoff_base_s": 30, "lease_s": 120}
    return OutboxSettings(**(values | changes))


def test_fails_twice_then_delivers_each_escalation_exactly_once(
    approved_round: ApprovedRound, receiver: Receiver
) -> None:
    engine = approved_round.engine
    use_up_free_stock(engine)
    escalate_round(engine, round_date=approved_round.round_date, actor=ACTOR, now=T0)
    receiver.fail_first = 2
    config = settings(receiver.url)

    report = drain_outbox(engine, now=T0, settings=config)
    assert (report.claimed, report.retried) == (2, 2)
    assert drain_outbox(engine, now=T0 + timedelta(seconds=29), settings=config).claimed == 0
    report = drain_outbox(engine, now=T0 + timedelta(seconds=30), settings=config)
    assert report.retried == 2  # second failure: next try 60 s later
    assert drain_outbox(engine, now=T0 + timedelta(seconds=89), settings=config).claimed == 0
    report = drain_outbox(engine, now=T0 + timedelta(seconds=90), settings=config)
    assert report.sent == 2
    assert drain_outbox(engine, now=T0 + timedelta(days=1), settings=config).claimed == 0

    assert sorted(receiver.accepted) == KEYS
    assert Counter(receiver.posts) == {key: 3 for key in KEYS}
    assert receiver.accepted["ESK-20261124-IIR"]["total_unmet"] == 500
    with session_scope(engine) as session:
        for key in KEYS:
            message = get_message(session, idempotency_key=key)
            assert message is not None
            assert (message.status, message.attempts, message.response_status) == ("sent", 3, 201)
            escalation = get_escalation(session, reference=key)
            assert escalation.status == "acknowledged"
            assert (escalation.agency_reference or "").startswith("SoS-")


def test_a_drainer_that_dies_after_sending_does_not_duplicate(
    approved_round: ApprovedRound, receiver: Receiver
) -> None:
    engine = approved_round.engine
    use_up_free_stock(engine)
    escalate_round(engine, round_date=approved_round.round_date, actor=ACTOR, now=T0)
    config = settings(receiver.url)

    def die(response: httpx.Response) -> None:
        raise RuntimeError("drainer killed after the POST")

    with (
        httpx.Client(event_hooks={"response": [die]}) as dying,
        pytest.raises(RuntimeError, match="killed"),
    ):
        drain_outbox(engine, now=T0, client=dying, settings=config)
    assert receiver.posts == [KEYS[0]]  # the receiver has the first; its outcome was never saved
    with session_scope(engine) as session:
        assert [(m.status, m.attempts) for m in list_messages(session)] == [("pending", 1)] * 2

    assert drain_outbox(engine, now=T0 + timedelta(seconds=60), settings=config).claimed == 0
    report = drain_outbox(engine, now=T0 + timedelta(seconds=120), settings=config)
    assert report.sent == 2
    assert sorted(receiver.accepted) == KEYS  # each accepted once ...
    assert Counter(receiver.posts) == {KEYS[0]: 2, KEYS[1]: 1}  # ... the first carried twice
    with session_scope(engine) as session:
        assert [(m.status, m.response_status) for m in list_messages(session)] == [
            ("sent", 409),
            ("sent", 201),
        ]
        assert get_escalation(session, reference=KEYS[0]).status == "sent"


def test_a_refused_message_is_dead_with_the_error_kept(
    approved_round: ApprovedRound, receiver: Receiver
) -> None:
    engine = approved_round.engine
    use_up_free_stock(engine)
    escalate_round(engine, round_date=approved_round.round_date, actor=ACTOR, now=T0)
    receiver.fail_first, receiver.fail_status = 99, 422
    report = drain_outbox(engine, now=T0, settings=settings(receiver.url))
    assert report.dead == 2
    with session_scope(engine) as session:
        message = get_message(session, idempotency_key=KEYS[1])
        assert message is not None and message.status == "dead"
        assert message.last_error is not None and "HTTP 422" in message.last_error
        assert "try again later" in message.last_error
        assert get_escalation(session, reference=KEYS[1]).status == "queued"
    assert (
        drain_outbox(engine, now=T0 + timedelta(days=1), settings=settings(receiver.url)).claimed
        == 0
    )


def test_gives_up_after_the_last_attempt(fresh_engine: Engine, receiver: Receiver) -> None:
    with session_scope(fresh_engine) as session:
        enqueue_message(session, idempotency_key="k1", topic="test", payload={"a": 1}, now=T0)
    receiver.fail_first = 99
    config = settings(receiver.url, max_attempts=2)
    assert drain_outbox(fresh_engine, now=T0, settings=config).retried == 1
    report = drain_outbox(fresh_engine, now=T0 + timedelta(seconds=30), settings=config)
    assert report.dead == 1
    assert "gave up after 2 attempts" in (report.outcomes[0].error or "")
    assert receiver.posts == ["k1", "k1"]


def test_a_network_error_is_retried_with_backoff(fresh_engine: Engine) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with session_scope(fresh_engine) as session:
        enqueue_message(session, idempotency_key="k1", topic="test", payload={}, now=T0)
    config = settings(f"http://127.0.0.1:{port}/", timeout_s=2)
    report = drain_outbox(fresh_engine, now=T0, settings=config)
    assert report.retried == 1
    with session_scope(fresh_engine) as session:
        message = get_message(session, idempotency_key="k1")
        assert message is not None and message.status == "pending"
        assert message.next_attempt_at == T0 + timedelta(seconds=30)
        assert "ConnectError" in (message.last_error or "")


def test_without_an_endpoint_nothing_is_sent(
    fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORDELA_OUTBOX_ENDPOINT", raising=False)
    with session_scope(fresh_engine) as session:
        enqueue_message(session, idempotency_key="k1", topic="test", payload={}, now=T0)
    report = drain_outbox(fresh_engine, now=T0)
    assert report.skipped and report.claimed == 0
    with session_scope(fresh_engine) as session:
        message = get_message(session, idempotency_key="k1")
        assert message is not None and message.attempts == 0


def test_two_drainers_together_send_each_message_once(
    fresh_engine: Engine, receiver: Receiver
) -> None:
    keys = [f"k{n:02d}" for n in range(12)]
    with session_scope(fresh_engine) as session:
        for key in keys:
            enqueue_message(session, idempotency_key=key, topic="test", payload={"k": key}, now=T0)
    config = settings(receiver.url)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def drain() -> None:
        try:
            start.wait()
            for _ in range(4):
                drain_outbox(fresh_engine, now=T0, settings=config, max_messages=3)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(receiver.posts) == keys  # no key POSTed twice
    with session_scope(fresh_engine) as session:
        assert {m.status for m in list_messages(session)} == {"sent"}


def test_claims_skip_rows_another_drainer_holds(fresh_engine: Engine) -> None:
    if fresh_engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; SKIP LOCKED is PostgreSQL's")
    with session_scope(fresh_engine) as session:
        for n in range(4):
            enqueue_message(session, idempotency_key=f"k{n}", topic="test", payload={}, now=T0)
    lease = timedelta(minutes=2)
    with session_scope(fresh_engine) as first, session_scope(fresh_engine) as second:
        held = claim_due_messages(first, now=T0, lease=lease, limit=2)
        other = claim_due_messages(second, now=T0, lease=lease, limit=10)
    assert [m.idempotency_key for m in held] == ["k0", "k1"]
    assert [m.idempotency_key for m in other] == ["k2", "k3"]


def test_a_drain_claims_batches_that_fit_in_the_lease(
    fresh_engine: Engine, receiver: Receiver
) -> None:
    with session_scope(fresh_engine) as session:
        for n in range(5):
            enqueue_message(session, idempotency_key=f"k{n}", topic="test", payload={}, now=T0)
    config = settings(receiver.url, lease_s=30, timeout_s=10)  # two sends fit in one lease
    report = drain_outbox(fresh_engine, now=T0, settings=config, max_messages=4)
    assert report.sent == 4
    assert drain_outbox(fresh_engine, now=T0, settings=config).sent == 1
    assert receiver.posts == [f"k{n}" for n in range(5)]
