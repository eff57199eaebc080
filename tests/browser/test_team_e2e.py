"""Team mode end to end: a real OpenID Connect sign-in against a local provider, then role gating in the browser.

The provider is ``oidc-provider-mock`` (a pip package of requirements-dev.txt) run in this process on a
thread: its authorize form asks for a subject, and the users registered below carry their e-mail and
groups claims. The app runs as ``streamlit run`` with a secrets file whose ``[auth]`` points at it
(``--secrets.files``) and a database whose users were added with ``python -m nps users add``. Nothing
else needs starting: `.ci/run` only installs Chromium.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ROOT, Server, launch_app, screenshot, wait_idle

ADMIN = "admin@example.com"
VIEWER = "viewer@example.com"
STRANGER = "stranger@example.com"
SCOPED = "billing.manager@example.com"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A local OpenID Connect provider; returns its issuer URL."""
    from oidc_provider_mock import User, run_server_in_thread

    people = [User(sub=email, claims={"email": email, "groups": ["staff"]}) for email in (ADMIN, VIEWER, STRANGER, SCOPED)]
    with run_server_in_thread(user_claims=people) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory, seeded_db: Path, provider: str) -> Iterator[Server]:
    """The app in team mode: [auth] secrets pointing at the provider; an admin and a viewer in its database."""
    work = tmp_path_factory.mktemp("team")
    db = work / "app.duckdb"
    shutil.copy(seeded_db, db)
    for email, role, *scope in ((ADMIN, "admin"), (VIEWER, "viewer"),
                                (SCOPED, "viewer", "--scope", "business_function=Billing")):
        subprocess.run([sys.executable, "-m", "nps", "users", "add", email, "--role", role, *scope, "--db", str(db)],
                       cwd=ROOT, check=True, capture_output=True)
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
    log = work / "server.log"
    url, process = launch_app(db, log, extra_args=("--secrets.files", str(secrets)))
    running = Server(url, db, process, log)
    yield running
    running.stop()


def sign_in(page: Page, url: str, email: str) -> None:
    """Open the app, press Sign in, give the provider's form ``email`` as the subject and come back signed in."""
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.locator("input[name='sub']").fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{url}/**", timeout=60_000)


def test_an_anonymous_visitor_sees_only_the_sign_in(team_server: Server, page: Page) -> None:
    page.goto(team_server.url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_role("heading", name="Passaparola", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Overview")).to_have_count(0)
    expect(page.locator("[data-testid='stMetric']")).to_have_count(0)
    screenshot(page, "team-sign-in")
    page.goto(f"{team_server.url}/upload")  # a deep link shows the same screen, nothing of the page
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_role("heading", name="Upload & datasets")).to_have_count(0)
    expect(page.locator("input[type='file']")).to_have_count(0)


def test_a_person_without_a_role_is_told_so(team_server: Server, page: Page) -> None:
    sign_in(page, team_server.url, STRANGER)
    expect(page.get_by_text(f"You are signed in as {STRANGER} but have no access yet")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("link", name="Overview")).to_have_count(0)


def test_a_viewer_reads_but_cannot_upload_delete_or_open_admin(team_server: Server, page: Page) -> None:
    sign_in(page, team_server.url, VIEWER)
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=60_000)
    wait_idle(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_text(f"{VIEWER} · viewer")).to_be_visible()
    expect(sidebar.get_by_role("link", name="Admin", exact=True)).to_have_count(0)
    expect(page.locator("[data-testid='stMetricValue']").first).to_be_visible()
    page.goto(f"{team_server.url}/upload")
    expect(page.get_by_role("heading", name="Upload & datasets", exact=True)).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_text("Loading files and changing or deleting datasets need the admin role")).to_be_visible()
    expect(page.locator("input[type='file']")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete", exact=True)).to_have_count(0)
    page.goto(f"{team_server.url}/admin")
    expect(page.get_by_text("The Admin page needs the admin role")).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_role("heading", name="Admin", exact=True)).to_have_count(0)
    expect(page.get_by_role("tab", name="Audit trail")).to_have_count(0)


def test_an_admin_deletes_a_dataset_and_the_audit_trail_names_them(team_server: Server, page: Page) -> None:
    sign_in(page, team_server.url, ADMIN)
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=60_000)
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_text(f"{ADMIN} · admin")).to_be_visible()
    sidebar.get_by_role("link", name="Upload & datasets").click()
    expect(page.get_by_role("heading", name="Upload & datasets", exact=True)).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.locator("input[type='file']")).to_have_count(1)
    page.get_by_role("tab", name="Datasets (2)").click()
    page.locator(".st-key-ask_delete_2 button").click()  # dataset #2; #1 stays for the scoped viewer's test
    page.locator(".st-key-delete_2 button").click()  # the confirmation, "Delete NAME"
    expect(page.get_by_role("tab", name="Datasets (1)")).to_be_visible(timeout=60_000)
    wait_idle(page)
    sidebar.get_by_role("link", name="Admin", exact=True).click()
    expect(page.get_by_role("heading", name="Admin", exact=True)).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.get_by_role("tab", name="Audit trail").click()
    expect(page.get_by_text("entries, newest first")).to_be_visible()
    screenshot(page, "team-admin")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the audit trail (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert (rows[0]["who"], rows[0]["what"]) == (ADMIN, "dataset deleted")
    assert rows[0]["target"] == "dataset #2" and '"name"' in rows[0]["before"]
    assert [r["who"] for r in rows if r["what"] == "user added"] == ["cli:" + r["who"][4:] for r in rows
                                                                     if r["what"] == "user added"]  # by the CLI


def test_a_viewer_scoped_to_one_function_sees_only_that_function(team_server: Server, page: Page) -> None:
    sign_in(page, team_server.url, SCOPED)
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=60_000)
    wait_idle(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_text("Your access: Business function: Billing.", exact=True)).to_be_visible()
    expect(sidebar.get_by_text("Customer service", exact=False)).to_have_count(0)
    expect(sidebar.get_by_text("Delivery & logistics", exact=False)).to_have_count(0)
    expect(page.locator("[data-testid='stMetricValue']").first).to_be_visible()
    screenshot(page, "team-scoped-viewer")
