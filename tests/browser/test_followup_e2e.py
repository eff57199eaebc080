"""Follow-up end to end in team mode: a front-line user contacts and closes a case; a manager sees an escalation.

The harness is ``test_team_e2e.py``'s: ``oidc-provider-mock`` in this process, the app started with
``--secrets.files``, users added with ``python -m nps users add``. The database holds the sample; a
rule routes each detractor by business function (Billing → the front-line user, team ``billing``), and
the ``billing`` ladder's level 2 is the manager. The sweeps run from the command line with ``--now``
(the server stopped in between: it owns its database): the first, just before the sign-ins, opens the
cases; the second, 50 hours later, finds every case not contacted past its first-contact deadline and
copies it up to level 2. The page judges its KPIs as of the real clock, so the contact is made in time.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from nps import store
from nps.followup import deadlines, rules
from nps.followup.sweep import load_calendar
from nps.store import cases
from tests.browser.conftest import ROOT, Server, assert_no_exception, launch_app, screenshot, wait_idle
from tests.browser.test_team_e2e import sign_in

FRONT = "front.billing@example.com"
MANAGER = "billing.lead@example.com"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A local OpenID Connect provider knowing the two people; returns its issuer URL."""
    from oidc_provider_mock import User, run_server_in_thread

    people = [User(sub=email, claims={"email": email, "groups": ["staff"]}) for email in (FRONT, MANAGER)]
    with run_server_in_thread(user_claims=people) as server:
        yield f"http://localhost:{server.server_port}"


def _cli(db: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "nps", *args, "--db", str(db)], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return done.stdout


def _sweep(db: Path, now: dt.datetime) -> dict[str, int]:
    return json.loads(_cli(db, "follow-up", "sweep", "--now", now.isoformat(timespec="seconds"), "--format", "json"))


def _start(work: Path, db: Path, provider: str) -> Server:
    secrets = work / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "an-end-to-end-test-cookie-secret-0123456789"\n'
        'client_id = "passaparola"\n'
        'client_secret = "passaparola-e2e"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    log = work / f"server-{len(list(work.glob('server-*.log')))}.log"
    url, process = launch_app(db, log, extra_args=("--secrets.files", str(secrets)))
    return Server(url, db, process, log)


def _tile(page: Page, label: str) -> object:
    tile = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return tile.locator("[data-testid='stMetricValue']")


def _choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox ``label``; the list is opened again if a rerun closed it (a busy machine)."""
    box = page.locator("[data-testid='stSelectbox']").filter(has=page.get_by_text(label, exact=True))
    for attempt in range(3):
        wait_idle(page)
        box.locator("input").click()
        try:
            expect(page.get_by_role("option", name=option, exact=True)).to_be_visible(timeout=10_000)
        except AssertionError:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            continue
        page.get_by_role("option", name=option, exact=True).click()
        break


def _open_followup(page: Page, url: str, email: str) -> None:
    sign_in(page, url, email)
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.locator("[data-testid='stSidebar']").get_by_role("link", name="Follow-up", exact=True).click()
    expect(page.get_by_role("heading", name="Follow-up", exact=True)).to_be_visible(timeout=60_000)
    wait_idle(page)


def test_a_front_line_user_closes_a_case_and_a_manager_sees_an_escalation(
        tmp_path: Path, seeded_db: Path, provider: str, page: Page, browser: object) -> None:
    db = tmp_path / "app.duckdb"
    shutil.copy(seeded_db, db)
    _cli(db, "users", "add", FRONT, "--role", "viewer", "--scope", "business_function=Billing")
    _cli(db, "users", "add", MANAGER, "--role", "editor")
    con = store.connect(db)
    try:
        rule = rules.Rule(name="Detractors by function", categories=("detractor",), route_column="business_function",
                          routes=(rules.Route("Billing", FRONT, "billing"),), position=1)
        cases.save_rule(con, rule.describe(), rule.describe()["routes"], actor="test")
        cases.set_ladder_level(con, "billing", 2, "management", MANAGER, actor="test")
        calendar = load_calendar(con)
    finally:
        con.close()
    start = deadlines.local(dt.datetime.now(calendar.zone), calendar) - dt.timedelta(minutes=5)
    first = _sweep(db, start)
    assert (first["opened"], first["escalated"]) == (371, 0)  # the sample's detractors of October 2026
    con = store.connect(db)
    try:
        mine = [c for c in cases.all_cases(con) if c.owner == FRONT]
        assert mine and {(c.team, c.status, c.escalation_level) for c in mine} == {("billing", "open", 1)}
        target = mine[0]  # the page lists by next deadline, then number: the first of the user's cases
    finally:
        con.close()

    server = _start(tmp_path, db, provider)
    try:
        _open_followup(page, server.url, FRONT)
        assert_no_exception(page)
        expect(page.get_by_text(f"{FRONT} · viewer")).to_be_visible()
        expect(page.get_by_role("heading", name=f"Case {target.id}: open")).to_be_visible()
        expect(page.get_by_text(f"Owner {FRONT} · team billing · normal priority · level 1", exact=False)).to_be_visible()
        expect(_tile(page, "Cases opened")).to_have_text(str(len(mine)))  # scoped to Billing: their cases only
        expect(_tile(page, "Contacted in time")).to_have_text("–")
        expect(_tile(page, "Escalations")).to_have_text("0")
        screenshot(page, "followup-front-line-open")

        page.get_by_role("button", name="Change status").click()  # the first move offered: contacted
        expect(page.get_by_text(f"Case {target.id} is now contacted.")).to_be_visible(timeout=60_000)
        wait_idle(page)
        expect(page.get_by_role("heading", name=f"Case {target.id}: contacted")).to_be_visible()
        expect(_tile(page, "Contacted in time")).to_have_text("100%")

        _choose(page, "New status", "closed")
        _choose(page, "Outcome (when closing)", "resolved")
        cause = page.get_by_label("…or a root cause of your own", exact=True)
        cause.fill("Double charge")
        resolution = page.get_by_label("Resolution (when closing)", exact=True)
        resolution.fill("Refunded the second charge and apologised")
        page.get_by_role("button", name="Change status").click()
        expect(page.get_by_text(f"Case {target.id} is now closed.")).to_be_visible(timeout=60_000)
        wait_idle(page)
        assert_no_exception(page)
        expect(_tile(page, "Contacted in time")).to_have_text("100%")
        # The next case is shown now, its form empty: nothing of the closed case's is carried over.
        expect(page.get_by_label("…or a root cause of your own", exact=True)).to_have_value("")
        expect(page.get_by_label("Resolution (when closing)", exact=True)).to_have_value("")
        screenshot(page, "followup-front-line-closed")
    finally:
        server.stop()

    con = store.connect(db)
    try:
        closed = cases.get_case(con, target.id)
        assert (closed.status, closed.outcome, closed.root_cause, closed.resolution) == (
            "closed", "resolved", "Double charge", "Refunded the second charge and apologised")
        assert [e.event for e in cases.case_events(con, target.id)] == ["opened", "contacted", "closed"]
        # Stamped in the calendar's time, as the sweep stamps the opening (not the server's own timezone).
        assert closed.opened_at < closed.contacted_at <= closed.closed_at < closed.first_contact_due
        assert {e.actor for e in cases.case_events(con, target.id)[1:]} == {FRONT}
    finally:
        con.close()

    later = _sweep(db, start + dt.timedelta(hours=50))
    assert (later["opened"], later["escalated"]) == (0, 370)  # every case but the closed one missed its first contact
    con = store.connect(db)
    try:
        up = [c for c in cases.all_cases(con) if c.escalated_to == MANAGER]
        assert len(up) == len(mine) - 1 and {c.escalation_level for c in up} == {2}
        assert cases.get_case(con, target.id).escalation_level == 1
    finally:
        con.close()
    kpis = json.loads(_cli(db, "follow-up", "kpis", "--format", "json"))
    assert kpis["escalations"] == 370

    server = _start(tmp_path, db, provider)
    try:
        context = browser.new_context(viewport={"width": 1500, "height": 1000})  # type: ignore[attr-defined]
        manager = context.new_page()
        manager.js_errors = []  # type: ignore[attr-defined]
        manager.on("pageerror", lambda exc: manager.js_errors.append(str(exc)))  # type: ignore[attr-defined]
        _open_followup(manager, server.url, MANAGER)
        assert_no_exception(manager)
        expect(_tile(manager, "Escalations")).to_have_text("370")
        expect(_tile(manager, "Cases opened")).to_have_text("371")
        expect(_tile(manager, "Contacted in time")).to_have_text("100%")
        manager.get_by_text("My cases", exact=True).click()  # the cases escalated to them
        wait_idle(manager)
        first_up = up[0]
        expect(manager.get_by_role("heading", name=f"Case {first_up.id}: open")).to_be_visible()
        expect(manager.get_by_text(f"level 2 · escalated to {MANAGER}", exact=False)).to_be_visible()
        assert_no_exception(manager)
        manager.set_viewport_size({"width": 1500, "height": 1900})  # the KPIs, the list and the case's detail
        wait_idle(manager)
        screenshot(manager, "followup-manager-escalation")
        context.close()
    finally:
        server.stop()
