"""Delivering notifications (nps.followup.notify): a real SMTP server on localhost (aiosmtpd), a local webhook
(http.server), retries and giving up, nothing sent without configuration, the settings, the command line
and the Admin page's Notifications tab."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from hypothesis import given
from hypothesis import strategies as st

from nps import cli, store
from nps.followup import notify
from nps.followup.notify import DeliveryReport, NotifySettings, NotifySettingsError
from nps.store import audit, outbox

ROOT = Path(__file__).resolve().parent.parent
T0 = dt.datetime(2026, 12, 1, 9, 0)
BODY_IT = "Il cliente è insoddisfatto: perché? Può richiamarlo entro venerdì — grazie, però è urgente."
ENV_NAMES = (notify.SMTP_ENV, notify.MAIL_FROM_ENV, notify.WEBHOOK_ENV, "http_proxy", "HTTP_PROXY", "https_proxy",
             "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


@pytest.fixture(autouse=True)
def no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """No notification settings and no proxy from the machine running the tests."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps what it receives, or refuses every recipient with ``refuse``."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.received: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def smtp_server(inbox: Inbox) -> Iterator[tuple[Inbox, int]]:
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    yield from smtp_server(Inbox())


@pytest.fixture
def refusing_smtp() -> Iterator[tuple[Inbox, int]]:
    yield from smtp_server(Inbox(refuse="550 5.1.1 mailbox unavailable"))


def mail_settings(port: int, **more: Any) -> NotifySettings:
    return NotifySettings(smtp_host="127.0.0.1", smtp_port=port, mail_from="passaparola@example.com", **more)


class Hook:
    """A local webhook: answers ``status`` and keeps each request's headers and JSON."""

    def __init__(self) -> None:
        self.status = 200
        self.received: list[tuple[dict[str, str], Any]] = []
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                hook.received.append((dict(self.headers), json.loads(self.rfile.read(length).decode("utf-8"))))
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/passaparola?token=s3cret"


@pytest.fixture
def hook() -> Iterator[Hook]:
    served = Hook()
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.server.shutdown()
        served.server.server_close()
        thread.join()


def states(con: Any) -> list[tuple[str, str, int, str | None]]:
    return [(m.event_key, m.state, m.attempts, m.last_error) for m in reversed(outbox.messages(con))]


# --- e-mail to a real SMTP server ---------------------------------------------------------------


def test_the_right_messages_reach_the_right_addresses_once(con: Any, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    outbox.enqueue(con, "case:1:opened:owner", outbox.EMAIL, recipient="anna@example.com",
                   subject="Nuovo caso #1: cliente detrattore", body=BODY_IT, now=T0)
    outbox.enqueue(con, "case:2:escalated:manager", outbox.EMAIL, recipient="marco@example.com",
                   subject="Escalation: case #2 is overdue", body="Case #2 passed its first-contact deadline.", now=T0)
    report = notify.deliver_pending(con, T0, mail_settings(port))
    assert report == DeliveryReport(sent=2)
    got = [(sender, rcpt, m["From"], m["To"], m["Subject"], m.get_content(), m.get_content_charset(),
            m["X-Passaparola-Event"]) for sender, rcpt, m in inbox.received]
    assert got == [
        ("passaparola@example.com", ["anna@example.com"], "passaparola@example.com", "anna@example.com",
         "Nuovo caso #1: cliente detrattore", BODY_IT + "\r\n", "utf-8", "case:1:opened:owner"),
        ("passaparola@example.com", ["marco@example.com"], "passaparola@example.com", "marco@example.com",
         "Escalation: case #2 is overdue", "Case #2 passed its first-contact deadline.\r\n", "utf-8",
         "case:2:escalated:manager"),
    ]
    assert states(con) == [("case:1:opened:owner", "sent", 1, None), ("case:2:escalated:manager", "sent", 1, None)]
    # A second run, and an event enqueued again, send nothing more.
    assert not outbox.enqueue(con, "case:1:opened:owner", outbox.EMAIL, recipient="anna@example.com", now=T0)
    assert notify.deliver_pending(con, T0 + dt.timedelta(days=1), mail_settings(port)) == DeliveryReport()
    assert len(inbox.received) == 2


def test_a_refusing_server_is_retried_later_then_given_up_and_listed(con: Any, refusing_smtp: tuple[Inbox, int]) -> None:
    inbox, port = refusing_smtp
    outbox.enqueue(con, "case:3:opened:owner", outbox.EMAIL, recipient="anna@example.com", subject="New case #3",
                   body="Case #3", now=T0)
    refused = "anna@example.com: 550 5.1.1 mailbox unavailable"
    assert notify.deliver_pending(con, T0, mail_settings(port)) == DeliveryReport(retrying=1)
    [message] = outbox.messages(con, state="retrying")
    assert (message.attempts, message.last_error, message.next_attempt_at) == (1, refused, T0 + dt.timedelta(minutes=5))
    assert notify.deliver_pending(con, T0 + dt.timedelta(minutes=4), mail_settings(port)) == DeliveryReport()
    # The 2nd, 3rd and 4th attempts after 5 min, 30 min and 2 h; the 5th, 6 h later, gives up.
    times = [T0 + dt.timedelta(minutes=5), T0 + dt.timedelta(minutes=35), T0 + dt.timedelta(hours=2, minutes=35)]
    for when in times:
        assert notify.deliver_pending(con, when, mail_settings(port)) == DeliveryReport(retrying=1)
    assert outbox.messages(con)[0].next_attempt_at == T0 + dt.timedelta(hours=8, minutes=35)
    last = T0 + dt.timedelta(hours=8, minutes=35)
    assert notify.deliver_pending(con, last, mail_settings(port)) == DeliveryReport(failed=1)
    [failed] = outbox.messages(con, state="failed")
    assert (failed.attempts, failed.last_error, failed.gave_up_at) == (5, refused, last)
    assert inbox.received == []
    assert notify.deliver_pending(con, last + dt.timedelta(days=7), mail_settings(port)) == DeliveryReport()


def test_a_closed_port_is_an_error_recorded_and_retried(con: Any) -> None:
    outbox.enqueue(con, "case:4:opened:owner", outbox.EMAIL, recipient="anna@example.com", subject="s", body="b", now=T0)
    assert notify.deliver_pending(con, T0, mail_settings(free_port())) == DeliveryReport(retrying=1)
    assert states(con) == [("case:4:opened:owner", "retrying", 1, "ConnectionRefusedError: [Errno 111] Connection refused")]


def test_retry_now_makes_a_given_up_message_due_and_is_audited(con: Any, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    outbox.enqueue(con, "k", outbox.EMAIL, recipient="anna@example.com", subject="Retry me", body="b", now=T0)
    outbox.mark_failed(con, 1, "550 mailbox unavailable", T0, retry_at=None)
    assert notify.deliver_pending(con, T0, mail_settings(port)) == DeliveryReport()
    later = T0 + dt.timedelta(hours=1)
    retried = outbox.retry_now(con, 1, later, actor="admin@example.com")
    assert (retried.state, retried.attempts, retried.next_attempt_at, retried.gave_up_at) == ("retrying", 1, later, None)
    [entry] = audit.audit_entries(con, action="notification retried")
    assert (entry.actor, entry.target, entry.before, entry.after) == (
        "admin@example.com", "notification #1", {"state": "failed", "attempts": 1, "last_error": "550 mailbox unavailable"},
        {"state": "retrying", "next_attempt_at": "2026-12-01T10:00:00"})
    assert notify.deliver_pending(con, later, mail_settings(port)) == DeliveryReport(sent=1)
    assert [m["Subject"] for _, _, m in inbox.received] == ["Retry me"]
    with pytest.raises(outbox.OutboxError, match=r"notification #1 was sent already \(2026-12-01 10:00\)"):
        outbox.retry_now(con, 1, later, actor="admin@example.com")
    with pytest.raises(outbox.OutboxError, match="there is no notification #9"):
        outbox.retry_now(con, 9, later, actor="admin@example.com")


def test_a_claimed_message_is_not_sent_by_another_deliverer_and_is_due_again_after_a_crash(con: Any) -> None:
    outbox.enqueue(con, "k", outbox.EMAIL, recipient="anna@example.com", now=T0)
    with store.transaction(con):
        assert outbox.claim(con, 1, T0, T0 + dt.timedelta(minutes=notify.CLAIM_MINUTES))
    # Killed while sending: nothing recorded; nobody else takes it before the claim runs out.
    with store.transaction(con):
        assert not outbox.claim(con, 1, T0, T0 + dt.timedelta(minutes=10))
    assert outbox.due(con, T0 + dt.timedelta(minutes=9)) == []
    assert [m.event_key for m in outbox.due(con, T0 + dt.timedelta(minutes=10))] == ["k"]


class FlakySender:
    """A fake sender whose successive attempts succeed or fail as listed (then succeed)."""

    def __init__(self, outcomes: list[bool]) -> None:
        self.outcomes = list(outcomes)
        self.sent: list[str] = []

    def email(self, settings: NotifySettings, message: outbox.Message) -> None:
        if self.outcomes and not self.outcomes.pop(0):
            raise OSError("down")
        self.sent.append(message.event_key)

    webhook = email


@given(outcomes=st.lists(st.booleans(), max_size=8), gaps=st.lists(st.integers(0, 600), min_size=12, max_size=12))
def test_whatever_the_outcomes_a_message_is_sent_at_most_once_and_tried_at_most_five_times(
        outcomes: list[bool], gaps: list[int]) -> None:
    con = store.connect(":memory:")
    try:
        outbox.enqueue(con, "k", outbox.EMAIL, recipient="anna@example.com", now=T0)
        sender = FlakySender(outcomes)
        when = T0
        for gap in gaps:
            when += dt.timedelta(minutes=gap)
            notify.deliver_pending(con, when, mail_settings(25), sender=sender)
        [message] = outbox.messages(con)
        assert message.attempts <= notify.MAX_ATTEMPTS and len(sender.sent) <= 1
        assert (message.state == "sent") == (sender.sent == ["k"])
        if message.state == "failed":
            assert message.attempts == notify.MAX_ATTEMPTS and message.last_error == "OSError: down"
    finally:
        con.close()


# --- the webhook --------------------------------------------------------------------------------


def test_the_webhook_gets_the_json_and_a_2xx_is_success(con: Any, hook: Hook) -> None:
    hook.status = 204
    outbox.enqueue(con, "case:5:opened:webhook", outbox.WEBHOOK,
                   payload={"event": "case_opened", "case_id": 5, "owner": "anna@example.com", "note": "perché"}, now=T0)
    assert notify.deliver_pending(con, T0, NotifySettings(webhook_url=hook.url)) == DeliveryReport(sent=1)
    [(headers, body)] = hook.received
    assert body == {"event": "case_opened", "case_id": 5, "owner": "anna@example.com", "note": "perché",
                    "event_key": "case:5:opened:webhook"}
    assert (headers["Content-Type"], headers["X-Passaparola-Event"]) == ("application/json; charset=utf-8",
                                                                        "case:5:opened:webhook")
    assert states(con) == [("case:5:opened:webhook", "sent", 1, None)]


def test_a_webhook_answering_500_or_not_listening_is_retried(con: Any, hook: Hook) -> None:
    hook.status = 500
    outbox.enqueue(con, "w1", outbox.WEBHOOK, payload={"event": "case_escalated", "case_id": 6}, now=T0)
    assert notify.deliver_pending(con, T0, NotifySettings(webhook_url=hook.url)) == DeliveryReport(retrying=1)
    assert states(con) == [("w1", "retrying", 1, "the webhook answered HTTP 500 Internal Server Error")]
    closed = f"http://127.0.0.1:{free_port()}/hook"
    later = T0 + dt.timedelta(minutes=5)
    assert notify.deliver_pending(con, later, NotifySettings(webhook_url=closed)) == DeliveryReport(retrying=1)
    assert states(con) == [("w1", "retrying", 2, "the webhook could not be reached: [Errno 111] Connection refused")]
    hook.status = 200
    assert notify.deliver_pending(con, later + dt.timedelta(minutes=30), NotifySettings(webhook_url=hook.url)) == \
        DeliveryReport(sent=1)
    assert len(hook.received) == 2


# --- nothing configured -------------------------------------------------------------------------


def test_nothing_configured_sends_nothing_and_says_why(con: Any, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    outbox.enqueue(con, "e", outbox.EMAIL, recipient="anna@example.com", subject="s", body="b", now=T0)
    outbox.enqueue(con, "w", outbox.WEBHOOK, payload={"event": "case_opened", "case_id": 1}, now=T0)
    assert notify.load_settings({}, {}) == NotifySettings()
    assert notify.deliver_pending(con, T0, notify.load_settings({}, {})) == DeliveryReport(skipped=2)
    assert states(con) == [("e", "pending", 0, notify.NO_SMTP), ("w", "pending", 0, notify.NO_WEBHOOK)]
    assert notify.NO_SMTP == ("not sent: no SMTP server configured (PASSAPAROLA_SMTP and PASSAPAROLA_MAIL_FROM, "
                              "or [notifications] host and sender)")
    # Configured later: the e-mail goes; the webhook, still without a URL, is skipped, not failed.
    assert notify.deliver_pending(con, T0 + dt.timedelta(minutes=1), mail_settings(port)) == \
        DeliveryReport(sent=1, skipped=1)
    assert states(con) == [("e", "sent", 1, None), ("w", "pending", 0, notify.NO_WEBHOOK)]
    assert len(inbox.received) == 1


# --- settings -----------------------------------------------------------------------------------


def test_smtp_urls() -> None:
    assert notify.parse_smtp_url("smtp://h:25") == {"host": "h", "port": 25, "tls": "none", "user": None,
                                                    "password": None}
    assert notify.parse_smtp_url("smtps://u:p@h:465") == {"host": "h", "port": 465, "tls": "ssl", "user": "u",
                                                          "password": "p"}
    assert notify.parse_smtp_url("smtp://mail%40example.com:p%3Ass@mail.example.com?starttls=1") == {
        "host": "mail.example.com", "port": 587, "tls": "starttls", "user": "mail@example.com", "password": "p:ss"}
    assert notify.parse_smtp_url("smtps://h")["port"] == 465
    assert notify.parse_smtp_url("smtp://h")["port"] == 25


@pytest.mark.parametrize(("url", "message"), [
    ("http://h:25", "PASSAPAROLA_SMTP: 'http://h:25' is not an SMTP URL; write smtp://host:25, "
                    "smtp://user:password@host:587?starttls=1 or smtps://user:password@host:465"),
    ("mail.example.com", "PASSAPAROLA_SMTP: 'mail.example.com' is not an SMTP URL"),
    ("smtp://h:port", "PASSAPAROLA_SMTP: 'smtp://h:port' is not an SMTP URL (Port could not be cast"),
    ("smtp://h:25?tls=1", "PASSAPAROLA_SMTP: unknown option 'tls' in 'smtp://h:25?tls=1'"),
    ("smtps://h:465?starttls=1", "PASSAPAROLA_SMTP: smtps:// is TLS from the start"),
])
def test_a_bad_smtp_url_names_the_variable(url: str, message: str) -> None:
    with pytest.raises(NotifySettingsError) as raised:
        notify.load_settings({}, {notify.SMTP_ENV: url, notify.MAIL_FROM_ENV: "p@example.com"})
    assert str(raised.value).startswith(message)


def test_settings_from_the_environment_and_from_the_secrets() -> None:
    env = {notify.SMTP_ENV: "smtps://u:p@smtp.example.com:465", notify.MAIL_FROM_ENV: "nps@example.com",
           notify.WEBHOOK_ENV: "https://hooks.example.com/T0/B1/secret"}
    from_env = notify.load_settings(None, env)
    assert from_env == NotifySettings(smtp_host="smtp.example.com", smtp_port=465, smtp_tls="ssl", smtp_user="u",
                                      smtp_password="p", mail_from="nps@example.com",
                                      webhook_url="https://hooks.example.com/T0/B1/secret")
    assert from_env.describe() == {"smtp_host": "smtp.example.com", "smtp_port": 465, "smtp_tls": "ssl",
                                   "smtp_user": "u", "smtp_password": "set", "mail_from": "nps@example.com",
                                   "webhook": "https://hooks.example.com/…"}
    secrets = {"host": "mail.internal", "tls": "starttls", "user": "nps", "password": "pw", "sender": "follow-up@x.it"}
    mixed = notify.load_settings(secrets, env)
    assert (mixed.smtp_host, mixed.smtp_port, mixed.smtp_tls, mixed.mail_from, mixed.webhook_url) == (
        "mail.internal", 587, "starttls", "follow-up@x.it", "https://hooks.example.com/T0/B1/secret")
    with pytest.raises(NotifySettingsError, match=r"^\[notifications\] tls: 'yes'; use one of none, starttls, ssl$"):
        notify.load_settings({"host": "h", "tls": "yes", "sender": "a@b.it"}, {})
    with pytest.raises(NotifySettingsError, match=r"^PASSAPAROLA_WEBHOOK: 'ftp://x' is not an http:// or https:// URL$"):
        notify.load_settings(None, {notify.WEBHOOK_ENV: "ftp://x"})
    with pytest.raises(NotifySettingsError, match="an SMTP server is configured but no sender: set PASSAPAROLA_MAIL_FROM"):
        notify.load_settings(None, {notify.SMTP_ENV: "smtp://h:25"})
    with pytest.raises(NotifySettingsError, match=r"^PASSAPAROLA_MAIL_FROM: 'nobody' is not an e-mail address"):
        notify.load_settings(None, {notify.SMTP_ENV: "smtp://h:25", notify.MAIL_FROM_ENV: "nobody"})


# --- the command line ---------------------------------------------------------------------------


def test_the_command_line_delivers_and_lists(tmp_path: Path, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    inbox, port = smtp
    path = tmp_path / "n.duckdb"
    con = store.connect(path)
    outbox.enqueue(con, "case:1:opened:owner", outbox.EMAIL, recipient="anna@example.com", subject="Nuovo caso #1",
                   body=BODY_IT, now=T0)
    outbox.enqueue(con, "case:1:opened:webhook", outbox.WEBHOOK, payload={"event": "case_opened", "case_id": 1}, now=T0)
    con.close()
    monkeypatch.setenv(notify.SMTP_ENV, f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv(notify.MAIL_FROM_ENV, "passaparola@example.com")
    assert cli.main(["follow-up", "deliver", "--db", str(path), "--now", "2026-12-01T09:00", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"sent": 1, "failed": 0, "retrying": 0, "skipped": 1}
    assert [m["Subject"] for _, _, m in inbox.received] == ["Nuovo caso #1"]
    assert cli.main(["follow-up", "outbox", "--db", str(path), "--state", "sent", "--format", "json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert {k: row[k] for k in ("id", "event_key", "state", "channel", "recipient", "attempts", "sent_at")} == {
        "id": 1, "event_key": "case:1:opened:owner", "state": "sent", "channel": "email",
        "recipient": "anna@example.com", "attempts": 1, "sent_at": "2026-12-01T09:00:00"}
    assert cli.main(["follow-up", "outbox", "--db", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "state", "channel", "to", "attempts", "next", "/", "done", "subject", "last", "error"]
    assert lines[1].split()[:7] == ["2", "pending", "webhook", "webhook", "0", "2026-12-01", "09:00"]
    assert lines[1].endswith("case:1:opened:webhook  " + notify.NO_WEBHOOK)
    assert lines[2].split() == ["1", "sent", "email", "anna@example.com", "1", "2026-12-01", "09:00", "Nuovo", "caso", "#1"]
    assert cli.main(["follow-up", "deliver", "--db", str(path), "--now", "2026-12-01T09:01"]) == 0
    assert capsys.readouterr().out == f"sent 0, retrying 0, failed 0, skipped 1\n{notify.NO_WEBHOOK}\n"
    assert cli.main(["follow-up", "outbox", "--db", str(path), "--state", "failed"]) == 0
    assert capsys.readouterr().out == "no failed notifications\n"
    monkeypatch.setenv(notify.SMTP_ENV, "smtp//nowhere")
    assert cli.main(["follow-up", "deliver", "--db", str(path)]) == 2
    assert capsys.readouterr().err.startswith("error: PASSAPAROLA_SMTP: 'smtp//nowhere' is not an SMTP URL")


# --- the Admin page's Notifications tab ----------------------------------------------------------


def test_the_admin_sees_the_outbox_and_retries_a_failed_message(db: Path) -> None:
    from streamlit.testing.v1 import AppTest

    con = store.connect(db)
    outbox.enqueue(con, "case:7:opened:owner", outbox.EMAIL, recipient="anna@example.com", subject="Nuovo caso #7",
                   body=BODY_IT, now=T0)
    outbox.mark_failed(con, 1, "550 mailbox unavailable", T0, retry_at=None)
    con.close()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    app.switch_page("pages/admin.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert [t.label for t in app.tabs] == ["Users", "Groups", "Audit trail", "Notifications"]
    table = app.tabs[3].dataframe[0].value
    assert table[["#", "state", "to", "subject", "attempts", "last error"]].values.tolist() == [
        [1, "failed", "anna@example.com", "Nuovo caso #7", 1, "550 mailbox unavailable"]]
    settings = app.tabs[3].dataframe[1].value
    assert dict(zip(settings["setting"], settings["value"])) == {
        "SMTP server": "", "port": "", "TLS": "", "user": "", "password": "", "sender": "", "webhook": ""}
    app.button(key="notify_retry").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert [s.value for s in app.success] == ["Notification \\#1 retried\\: not sent\\: nothing is configured for it\\."]
    table = app.tabs[3].dataframe[0].value
    assert table[["state", "attempts", "last error"]].values.tolist() == [["retrying", 1, notify.NO_SMTP]]
    con = store.connect(db)
    try:
        [entry] = audit.audit_entries(con, action="notification retried")
        assert (entry.actor, entry.target) == (audit.LOCAL_ACTOR, "notification #1")
    finally:
        con.close()


def test_a_redirect_is_not_success_and_a_subject_stays_on_one_line(con: Any, hook: Hook, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    hook.status = 302
    outbox.enqueue(con, "w", outbox.WEBHOOK, payload={"event": "case_opened", "case_id": 1}, now=T0)
    outbox.enqueue(con, "e", outbox.EMAIL, recipient="anna@example.com", subject="Caso #1\r\nBcc: eve@example.com",
                   body="b", now=T0)
    settings = mail_settings(port, webhook_url=hook.url)
    assert notify.deliver_pending(con, T0, settings) == DeliveryReport(sent=1, retrying=1)
    assert states(con) == [("w", "retrying", 1, "the webhook answered HTTP 302 Found"), ("e", "sent", 1, None)]
    [(_, rcpt, mail)] = inbox.received
    assert (rcpt, mail["Subject"], mail["Bcc"]) == (["anna@example.com"], "Caso #1 Bcc: eve@example.com", None)


def test_the_app_reads_the_secrets_and_hides_the_password(db: Path) -> None:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.secrets = {"notifications": {"host": "mail.example.com", "tls": "starttls", "user": "nps", "password": "pw",
                                     "sender": "passaparola@example.com",
                                     "webhook": "https://hooks.example.com/T0/B1/secret"}}
    app.run()
    app.switch_page("pages/admin.py").run()
    assert not app.exception, [e.value for e in app.exception]
    settings = app.tabs[3].dataframe[1].value
    assert dict(zip(settings["setting"], settings["value"])) == {
        "SMTP server": "mail.example.com", "port": "587", "TLS": "starttls", "user": "nps", "password": "set",
        "sender": "passaparola@example.com", "webhook": "https://hooks.example.com/…"}
    assert "retry" not in [b.label.lower() for b in app.button]  # nothing failed: no Retry now


def test_the_server_delivers_every_minute(con: Any, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    from face import notifications
    from nps.store import scheduler

    inbox, port = smtp
    monkeypatch.setenv(notify.SMTP_ENV, f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv(notify.MAIL_FROM_ENV, "passaparola@example.com")
    jobs = scheduler.Scheduler(con, name="test")
    notifications.register_delivery(jobs)
    job = jobs.jobs()["notifications"]
    assert job.interval == 60.0
    outbox.enqueue(con, "k", outbox.EMAIL, recipient="anna@example.com", subject="Nuovo caso", body=BODY_IT)
    job.job(con)
    assert [m["Subject"] for _, _, m in inbox.received] == ["Nuovo caso"]


def test_the_daily_digest_reaches_each_owner_once_a_day_only_when_enabled(
        con: Any, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    from nps.followup import digest, rules
    from nps.followup.sweep import sweep
    from nps.store import cases
    from tests.factories import make_dataset

    inbox, port = smtp
    frame = pd.DataFrame({"score": [2, 4, 6, 9], "date": ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"],
                          "customer": ["a", "b", "c", "d"], "function": ["Sales", "Sales", "Support", "Sales"]})
    make_dataset(con, frame, dimensions=("function",), date="date", respondent="customer")
    rule = rules.Rule(name="by function", route_column="function",
                      routes=(rules.Route("Sales", "sam@example.com", "sales"), rules.Route("Support", "sue@example.com", "support")))
    cases.save_rule(con, rule.describe(), rule.describe()["routes"], actor="t")
    cases.set_ladder_level(con, "sales", 2, "management", "boss@example.com", actor="t")
    monday = dt.datetime(2026, 11, 30, 9, 30)
    monkeypatch.delenv(digest.DIGEST_ENV, raising=False)
    sweep(con, monday)
    assert not [m for m in outbox.messages(con) if m.event_key.startswith("digest:")]  # off by default
    assert digest.enabled({"digest": True}, {}) and not digest.enabled({"digest": "false"}, {digest.DIGEST_ENV: "1"})
    monkeypatch.setenv(digest.DIGEST_ENV, "1")
    sweep(con, monday.replace(hour=8))  # before the working day starts: not yet
    assert not [m for m in outbox.messages(con) if m.event_key.startswith("digest:")]
    tuesday = monday + dt.timedelta(days=1)  # 24 h on: nothing overdue yet
    sweep(con, tuesday)
    sweep(con, tuesday + dt.timedelta(hours=3))  # the same day again: nothing more
    thursday = monday + dt.timedelta(days=3)  # 72 h on: every case missed its first contact, escalated to the boss
    sweep(con, thursday)
    keys = sorted(m.event_key for m in outbox.messages(con) if m.event_key.startswith("digest:"))
    assert keys == ["digest:boss@example.com:2026-12-03", "digest:sam@example.com:2026-12-01",
                    "digest:sam@example.com:2026-12-03", "digest:sue@example.com:2026-12-01",
                    "digest:sue@example.com:2026-12-03"]
    report = notify.deliver_pending(con, thursday, mail_settings(port))
    assert report.failed == 0
    digests = {(rcpt[0], m["Subject"]): m.get_content() for _sender, rcpt, m in inbox.received
               if m["X-Passaparola-Event"].startswith("digest:")}
    assert sorted(digests) == [
        ("boss@example.com", "Follow-up digest 2026-12-03: 2 open case(s), 2 overdue"),
        ("sam@example.com", "Follow-up digest 2026-12-01: 2 open case(s), 0 overdue"),
        ("sam@example.com", "Follow-up digest 2026-12-03: 2 open case(s), 2 overdue"),
        ("sue@example.com", "Follow-up digest 2026-12-01: 1 open case(s), 0 overdue"),
        ("sue@example.com", "Follow-up digest 2026-12-03: 1 open case(s), 1 overdue"),
    ]
    body = digests[("sam@example.com", "Follow-up digest 2026-12-03: 2 open case(s), 2 overdue")]
    assert body == ("Your follow-up cases as of 2026-12-03 09:30 (sam@example.com).\r\n\r\nOverdue (2):\r\n"
                    "- Case 1: score 2 (detractor), open, normal priority, level 2, next deadline 2026-12-02 09:30\r\n"
                    "- Case 2: score 4 (detractor), open, normal priority, level 2, next deadline 2026-12-02 09:30\r\n")
