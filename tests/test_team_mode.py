"""Team mode under AppTest: sign-in screen, roles from users and groups, the ID token's expiry, the gating of
every page for an anonymous visitor, a viewer, an editor and an admin, and the Admin page.

AppTest gives the app an ``[auth]`` section (``AppTest.secrets``) and a signed-in person's claims
(``AppTest.user``, read by the app as ``st.user``); no identity provider is involved (that is
tests/browser/test_team_e2e.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import face.auth
from nps import domain, store
from nps.store import audit, users

ROOT = Path(__file__).resolve().parent.parent
NOW = 1_900_000_000.0  # the injected clock: 2030-03-17
SECRETS = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "t" * 32,
                    "client_id": "passaparola", "client_secret": "secret",
                    "server_metadata_url": "http://localhost:1/.well-known/openid-configuration"}}
VIEWER, EDITOR, ADMIN = "viewer@example.com", "editor@example.com", "admin@example.com"


@pytest.fixture
def team_db(db: Path) -> Path:
    con = store.connect(db)
    try:
        users.add_user(con, VIEWER, domain.VIEWER, actor="test")
        users.add_user(con, EDITOR, domain.EDITOR, actor="test")
        users.add_user(con, ADMIN, domain.ADMIN, actor="test")
        users.set_group_role(con, "nps-editors", domain.EDITOR, actor="test")
    finally:
        con.close()
    return db


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(face.auth, "clock", lambda: NOW)


def signed_in(email: str, **claims: Any) -> dict[str, Any]:
    return {"is_logged_in": True, "email": email, "sub": email, "exp": int(NOW) + 3600, **claims}


def team_app(user: dict[str, Any], page: str | None = None) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.secrets = dict(SECRETS)
    app.user = user
    app.run()
    if page:
        app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def sidebar_texts(app: AppTest) -> list[str]:
    return [str(getattr(e, "label", None) or getattr(e, "value", "")) for e in app.sidebar]


def page_links(app: AppTest) -> list[str]:
    return [e.proto.label for e in app.get("page_link")]


def buttons(app: AppTest) -> list[str]:
    return [b.label for b in app.button]


def test_an_anonymous_visitor_sees_only_the_sign_in(team_db: Path) -> None:
    app = team_app({"is_logged_in": False})
    assert [t.value for t in app.title] == ["Passaparola"]
    assert buttons(app) == ["Sign in"]
    assert page_links(app) == [] and not app.metric and not app.get("selectbox") and not app.dataframe
    assert sidebar_texts(app) == [""]  # the empty sidebar block, nothing in it


@pytest.mark.parametrize("page", ["pages/upload.py", "pages/admin.py", "pages/review.py", "pages/codebook.py"])
def test_an_anonymous_visitor_opening_a_page_by_url_sees_only_the_sign_in(team_db: Path, page: str) -> None:
    app = team_app({"is_logged_in": False}, page)
    assert [t.value for t in app.title] == ["Passaparola"] and buttons(app) == ["Sign in"]
    assert not app.get("file_uploader") and not app.dataframe and not app.tabs


def test_a_signed_in_person_without_a_role_is_told_so_and_can_only_sign_out(team_db: Path) -> None:
    app = team_app(signed_in("Stranger@Example.com", groups=["unmapped"]))
    assert [w.value for w in app.warning] == [
        "You are signed in as stranger\\@example\\.com but have no access yet; ask an administrator."]
    assert buttons(app) == ["Sign out"]
    assert page_links(app) == [] and not app.metric and not app.dataframe


def test_a_group_mapped_to_a_role_lets_a_person_in_with_that_role(team_db: Path) -> None:
    app = team_app(signed_in("grace@example.com", groups=["staff", "nps-editors"]), "pages/review.py")
    assert "Signed in as grace@example.com · editor" in sidebar_texts(app)
    assert "Save targets" in buttons(app)


def test_the_groups_claim_is_configurable(team_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(face.auth.GROUPS_CLAIM_ENV, "roles")
    app = team_app(signed_in("grace@example.com", roles="nps-editors", groups=["nothing"]))
    assert "Signed in as grace@example.com · editor" in sidebar_texts(app)


def test_an_expired_id_token_signs_the_person_out(team_db: Path) -> None:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.secrets = dict(SECRETS)
    app.user = signed_in(ADMIN, exp=int(NOW) - 1)
    app.run()
    assert not app.exception
    assert [i.value for i in app.info] == ["Your sign-in has expired: signing you out."]
    assert app.user == {"is_logged_in": False}  # st.logout() ran
    assert page_links(app) == [] and not app.metric


def test_a_token_still_valid_is_not_signed_out(team_db: Path) -> None:
    assert not face.auth.expired({"exp": NOW + 1})
    assert face.auth.expired({"exp": NOW}) and face.auth.expired({"exp": NOW - 3600})
    assert not face.auth.expired({})  # no exp claim: nothing to check
    assert not face.auth.expired({"exp": True}) and not face.auth.expired({"exp": "soon"})


def test_a_viewer_reads_every_page_and_writes_nothing(team_db: Path) -> None:
    app = team_app(signed_in(VIEWER.upper()))
    assert "Signed in as viewer@example.com · viewer" in sidebar_texts(app)
    assert "Admin" not in page_links(app) and "Overview" in page_links(app)
    assert app.metric  # the Overview's numbers
    app.switch_page("pages/upload.py").run()
    assert not app.exception
    assert not app.get("file_uploader") and "Delete" not in buttons(app) and "Load" not in buttons(app)
    assert app.caption[0].value.startswith("Loading files and changing or deleting datasets need the admin role")
    assert list(app.dataframe[0].value["dataset"])  # the datasets, read-only
    app.switch_page("pages/codebook.py").run()
    assert not app.exception and "codebook_rows" not in app.session_state and not app.get("file_uploader")
    assert "Changing the codebook needs the editor role" in app.info[0].value
    assert "Save" not in buttons(app) and "Restore" not in buttons(app)
    app.switch_page("pages/review.py").run()
    assert not app.exception and "Save targets" not in buttons(app)
    app.switch_page("pages/admin.py").run()
    assert not app.exception and not app.title and not app.tabs
    assert [i.value for i in app.info] == [
        "The Admin page needs the admin role; you are signed in as viewer\\@example\\.com \\(viewer\\)\\."]


def test_an_editor_edits_targets_and_the_codebook_but_no_dataset_and_no_admin(team_db: Path) -> None:
    app = team_app(signed_in(EDITOR), "pages/codebook.py")
    assert "codebook_rows" in app.session_state and app.get("file_uploader")
    assert "Restore" in buttons(app) or "Merge" in buttons(app)
    app.switch_page("pages/review.py").run()
    assert "Save targets" in buttons(app)
    app.switch_page("pages/upload.py").run()
    assert not app.get("file_uploader") and "Delete" not in buttons(app)
    app.switch_page("pages/admin.py").run()
    assert not app.tabs and "needs the admin role" in app.info[0].value
    assert "Admin" not in page_links(app)


def test_an_admin_uploads_deletes_and_manages_users_recorded_under_their_email(team_db: Path) -> None:
    app = team_app(signed_in(ADMIN), "pages/upload.py")
    assert app.get("file_uploader") and "Delete" in buttons(app) and "Load the sample data" in buttons(app)
    assert "Admin" in page_links(app)
    app.switch_page("pages/admin.py").run()
    assert [t.value for t in app.title] == ["Admin"] and len(app.tabs) == 4
    assert list(app.dataframe[0].value["e-mail"]) == [ADMIN, EDITOR, VIEWER]
    app.text_input(key="admin_email_new").input("New.Person@example.com")
    app.selectbox(key="admin_role_new").set_value(domain.EDITOR)
    app.button(key="admin_save_new").click().run()
    assert not app.exception
    assert [s.value for s in app.success] == ["Saved new\\.person\\@example\\.com\\: editor, every row\\."]
    assert list(app.dataframe[0].value["e-mail"]) == [ADMIN, EDITOR, "new.person@example.com", VIEWER]
    app.text_input(key="admin_group").input("NPS Viewers")
    app.button(key="admin_map_group").click().run()
    app.selectbox(key="admin_remove_user").set_value(VIEWER).run()
    app.button(key="admin_remove_confirm").click().run()
    assert not app.exception
    assert list(app.dataframe[0].value["e-mail"]) == [ADMIN, EDITOR, "new.person@example.com"]
    con = store.connect(team_db)
    try:
        trail = audit.audit_entries(con, limit=3)
        assert users.resolve_user(con, "someone@example.com", ["NPS Viewers"]) == users.User(
            "someone@example.com", domain.VIEWER)
    finally:
        con.close()
    assert [(e.actor, e.action, e.target) for e in trail] == [
        (ADMIN, "user removed", VIEWER), (ADMIN, "group role added", "group NPS Viewers"),
        (ADMIN, "user added", "new.person@example.com")]
    audit_table = app.tabs[2].dataframe[0].value  # the Audit trail tab
    assert list(audit_table["who"][:3]) == [ADMIN, ADMIN, ADMIN]
    assert list(audit_table["what"][:3]) == ["user removed", "group role added", "user added"]
    app.selectbox(key="audit_action").set_value("user added").run()
    assert list(app.tabs[2].dataframe[0].value["target"]) == ["new.person@example.com", ADMIN, EDITOR, VIEWER]


def test_the_audit_download_neutralises_formula_prefixes(team_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from face import records

    con = store.connect(team_db)
    try:
        users.set_group_role(con, "staff", domain.VIEWER, actor='=HYPERLINK("http://evil")')
    finally:
        con.close()
    monkeypatch.setattr(face.auth, "current_user", lambda: users.User(ADMIN, domain.ADMIN))
    body = records.audit_trail_csv(actor=None, action="group role added").decode("utf-8-sig")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["who"], r["what"], r["target"]) for r in rows] == [
        ("'=HYPERLINK(\"http://evil\")", "group role added", "group staff"), ("test", "group role added", "group nps-editors")]


def test_the_records_refuse_a_write_the_session_may_not_do(team_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from face import records

    monkeypatch.setattr(face.auth, "current_user", lambda: users.User(VIEWER, domain.VIEWER))
    with pytest.raises(face.auth.NotAllowedError, match="Deleting a dataset needs the admin role; you are signed "
                                                         r"in as viewer@example.com \(viewer\)"):
        records.delete_dataset(1)
    with pytest.raises(face.auth.NotAllowedError, match="Editing targets needs the editor role"):
        records.save_targets(1, "segment", {"B2C": 10.0})
    with pytest.raises(face.auth.NotAllowedError, match="Changing a dataset's anonymity thresholds needs the admin"):
        records.set_privacy(1, 3, 3)
    with pytest.raises(face.auth.NotAllowedError, match="Managing users needs the admin role"):
        records.save_user("x@example.com", domain.ADMIN, [])
    con = store.connect(team_db)
    try:
        assert store.get_dataset(con, 1) is not None
        assert users.get_user(con, "x@example.com") is None
    finally:
        con.close()


def test_single_user_mode_says_so_and_its_local_user_is_an_admin(at: AppTest) -> None:
    captions = [c.value for c in at.sidebar if type(c).__name__ == "Caption"]
    assert face.auth.SINGLE_USER_NOTE in captions
    assert "Admin" in page_links(at)
    at.switch_page("pages/admin.py").run()
    assert not at.exception and [t.value for t in at.title] == ["Admin"]
    assert "Every change made here is recorded in the audit trail" in at.caption[0].value
