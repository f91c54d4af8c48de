"""A sender stopped in the middle sends none twice (issue 13): ``fordela outbox drain`` as its own
process, killed while the SMTP server on 127.0.0.1 holds its answer to the second message; a new
drain after the lease sends the rest, and each address receives exactly one message. (Slow: a
process is started and killed; in ``SLOW_MODULES``.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from data.db import session_scope
from data.models import User
from data.outreach.notifications import ROUND_APPROVED, set_email, set_topics
from data.outreach.outbox import get_message, list_messages
from jobs.outreach.notifications import notify_round_approved
from jobs.outreach.outbox import drain_outbox
from tests.jobs.conftest import ACTOR, ROUND, ApprovedRound
from tests.jobs.smtp_server import smtp_server
from tests.jobs.test_email import NO_ENDPOINT, REGION, mail_to, managers

ROOT = Path(__file__).resolve().parents[2]


def test_a_sender_stopped_in_the_middle_sends_none_twice(
    approved_round: ApprovedRound,
) -> None:
    """``fordela outbox drain`` is killed while the server holds its answer to the second
    message; a new drain after the lease sends the rest. Each address receives one message."""
    engine = approved_round.engine
    addresses = managers(engine)
    with session_scope(engine) as session:
        for user in session.query(User).filter(User.care_home_id.in_(["H0004", "H0005"])):
            set_topics(session, user=user, keep_on={ROUND_APPROVED}, actor=ACTOR)
            if user.care_home_id == "H0005":
                set_email(session, user=user, email="chef.h0005@kommun.example", actor=ACTOR)
    addresses["H0005"] = "chef.h0005@kommun.example"
    assert notify_round_approved(engine, round_date=ROUND) == 5
    with smtp_server(delay_s=3) as box:
        env = {
            **os.environ,
            "FORDELA_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "FORDELA_SMTP_HOST": box.host,
            "FORDELA_SMTP_PORT": str(box.port),
            "FORDELA_SMTP_TIMEOUT_S": "20",
            "FORDELA_OUTBOX_ENDPOINT": "",
        }
        sender = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "outbox", "drain"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert box.wait_for(2, timeout_s=60), "the sender sent nothing"
        finally:
            sender.send_signal(signal.SIGKILL)
            sender.wait(timeout=30)
        assert len(box.messages) == 2
        box.delay_s = 0
        later = datetime.now(UTC) + timedelta(minutes=5)  # the killed sender's lease is over
        report = drain_outbox(
            engine, now=later, settings=NO_ENDPOINT, mail=mail_to(box), region=REGION
        )
    assert (report.sent, report.dead) == (3, 1)  # the one in doubt is not sent again
    assert Counter(box.to()) == dict.fromkeys(addresses.values(), 1)
    with session_scope(engine) as session:
        doubtful = [m for m in list_messages(session) if m.status == "dead"]
        assert len(doubtful) == 1 and "skickas inte igen" in (doubtful[0].last_error or "")
        key = doubtful[0].idempotency_key
        message = get_message(session, idempotency_key=key)
        assert message is not None and message.attempts == 2
