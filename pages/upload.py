"""Upload & datasets: load a survey export, check what was detected, fix the mapping, manage datasets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

import face
from face import auth, md, records, show_chart
from nps import charts, domain, export, ingest, store, text
from nps.ingest import reader
from nps.query.uploads import score_histogram
from nps.errors import DuplicateFileError, NpsError

MAX_MB = int(st.get_option("server.maxUploadSize"))
ROLES = ("score", "date", "comment", "respondent", "weight")
ROLE_LABELS = {"score": "Score (0–10)", "date": "Response date", "comment": "Comment",
               "respondent": "Respondent id", "weight": "Weight"}
TEXT_FORMATS = set(reader.TEXT_FORMATS.values()) | {reader.JSON, reader.NDJSON}
ITEMS_LABEL = "Item ratings (speed, staff, price… beside the 0–10 question: the key drivers)"
ITEMS_HELP = ("Ratings on a 1–5, 1–7, 0–10 or 1–10 scale, or agreement words (agree, d'accordo, d'accord…); found by "
              "their names and values, change them here. The Key drivers page explains the score with them.")
DATE_ORDERS = {None: "decided from the data", "dmy": "day first (dd/mm/yyyy)", "mdy": "month first (mm/dd/yyyy)",
               "ymd": "year first (yyyy-mm-dd)"}

face.context()
st.title("Upload & datasets")

datasets = records.list_datasets()
if not auth.allowed(domain.ADMIN):  # loading, renaming, remapping and deleting: admins only
    st.caption(f"Loading files and changing or deleting datasets need the admin role; you are "
               f"{md(auth.current_user().email)} ({auth.current_user().role}).")
    st.dataframe(pd.DataFrame({"dataset": [d.name for d in datasets], "#": [d.id for d in datasets],
                               "survey": [d.kind for d in datasets], "responses": [d.accepted for d in datasets],
                               "waves": [d.waves for d in datasets], "loaded": [d.loaded_at for d in datasets]}),
                 hide_index=True, width="stretch")
    st.stop()


def _report(report: ingest.IngestReport) -> None:
    """The validation report of a finished load: counts, rejected rows by reason, download."""
    st.success(f"Loaded **{md(report.dataset.name)}**: {report.accepted:,} responses accepted, "
               f"{report.rejected:,} rejected, of {report.rows_read:,} rows read.")
    for warning in report.warnings:
        st.warning(md(warning))
    for what, count in report.adjusted.items():
        st.info(f"{md(what)}: {count:,}")
    if report.rejected:
        reasons = pd.DataFrame({"reason": list(report.rejected_reasons), "rows": list(report.rejected_reasons.values())})
        st.table(reasons.assign(reason=reasons["reason"].map(md)).set_index("reason"))  # cells are Markdown
        rejected = records.rejected_rows(report.dataset, limit=100_000)
        st.download_button("Download the rejected rows (CSV)", export.to_csv_bytes(rejected),
                           file_name=f"{report.dataset.name}-rejected.csv", mime="text/csv")


def _dataset_choice(ds: store.Dataset) -> str:
    """An append target as the picker lists it: name, id, responses, when loaded."""
    loaded = f" · loaded {ds.loaded_at:%d %b %Y %H:%M}" if ds.loaded_at else ""
    return f"{ds.name} · #{ds.id} · {ds.accepted:,} responses{loaded}"


def _column_label(ds: store.Dataset, column: str | None) -> str:
    if not column:
        return "(none)"
    label = ds.labels.get(column)
    return f"{column} — {label[:60]}" if label else column


def _apply_remap(ds: store.Dataset) -> None:
    """The Apply button's callback (run before the script, so no rerun can lose the click)."""
    state = st.session_state
    wanted = store.ColumnMapping(
        score=str(state[f"remap_score_{ds.id}"]), date=state[f"remap_date_{ds.id}"],
        comment=state[f"remap_comment_{ds.id}"], respondent=state[f"remap_respondent_{ds.id}"],
        weight=state[f"remap_weight_{ds.id}"], dimensions=tuple(state[f"remap_dims_{ds.id}"]),
        items=tuple(state[f"remap_items_{ds.id}"]), survey_type=ds.mapping.survey_type,
        date_order=state[f"remap_order_{ds.id}"])
    both = [c for c in wanted.items if c in wanted.dimensions]
    if both:
        state["remap_result"] = (ds.id, "error", f"{', '.join(map(repr, both))} cannot be both a dimension and an item "
                                 "rating: remove it from one of the two lists.", [])
        return
    try:
        result = records.remap_dataset(ds.id, wanted)  # forgets the cached reads when the roles changed
    except NpsError as error:
        state["remap_result"] = (ds.id, "error", str(error), [])
        return
    if not result.changes:
        state["remap_result"] = (ds.id, "info", "Nothing changed: these are the dataset's roles already.", [])
        return
    message = (f"Updated **{md(ds.name)}**: {md('; '.join(result.changes))}. "
               f"{result.accepted:,} responses accepted (were {result.accepted_before:,}), "
               f"{result.rejected:,} rejected (were {result.rejected_before:,}).")
    notes = [*result.warnings, *(f"{what}: {n:,}" for what, n in result.adjusted.items())]
    state["remap_result"] = (ds.id, "success", message, notes)


def _save_privacy(ds: store.Dataset) -> None:
    """The thresholds' Save callback (run before the script, so no rerun can lose the click)."""
    state = st.session_state
    try:
        records.set_privacy(ds.id, int(state[f"min_group_{ds.id}"]), int(state[f"min_comment_group_{ds.id}"]))
    except NpsError as error:
        state["privacy_result"] = (ds.id, str(error))
    else:
        state["privacy_result"] = (ds.id, None)


def _privacy_section(ds: store.Dataset) -> None:
    """An employee dataset's anonymity thresholds: the smallest group and the smallest comment set shown."""
    done = st.session_state.get("privacy_result")
    with st.expander("Anonymity (employee survey)", icon=":material/visibility_off:", expanded=bool(done)):
        st.caption("No group of fewer respondents than the first number is shown anywhere (never below 3), and "
                   "no comments of a selection of fewer than the second.")
        if done and done[0] == ds.id:
            del st.session_state["privacy_result"]
            if done[1]:
                st.error(md(done[1]))
            else:
                st.success(f"Saved: groups of fewer than {ds.privacy.min_group} respondents and comments of fewer "
                           f"than {ds.privacy.min_comment_group} are hidden.")
        with st.form(key=f"privacy_{ds.id}", border=False):
            c1, c2 = st.columns(2)
            c1.number_input("Smallest group shown", min_value=3, value=ds.privacy.min_group, step=1,
                            key=f"min_group_{ds.id}")
            c2.number_input("Smallest group whose comments are shown", min_value=3,
                            value=ds.privacy.min_comment_group, step=1, key=f"min_comment_group_{ds.id}")
            st.form_submit_button("Save thresholds", on_click=_save_privacy, args=(ds,))


def _delete(dataset_id: int) -> None:
    """The confirmation's "Delete <name>" callback (run before the script, so no rerun can lose the click)."""
    st.session_state.pop("_confirm_delete", None)
    try:
        records.delete_dataset(dataset_id)  # audited; forgets the cached reads
    except NpsError as error:
        st.session_state["delete_error"] = str(error)


def _remap_section(ds: store.Dataset) -> None:
    """Correct a loaded dataset's roles: every row is read again, the id (targets, links) stays."""
    done = st.session_state.get("remap_result")
    if done and done[0] == ds.id:
        del st.session_state["remap_result"]
        {"error": st.error, "info": st.info, "success": st.success}[done[1]](done[2] if done[1] == "success" else md(done[2]))
        for line in done[3]:
            st.warning(md(line))
    with st.expander("Columns and roles", icon=":material/tune:"):
        m = ds.mapping
        columns = list(ds.columns)
        st.caption("Choose another column for a role and apply: the scores, dates, comments, respondents and weights "
                   "are read again from every row (rows rejected before may now count, and the other way round); "
                   "the dataset keeps its id, so targets and shared links still work.")
        with st.form(key=f"remap_{ds.id}"):
            cols = st.columns(3)
            cols[0].selectbox(ROLE_LABELS["score"], columns, index=columns.index(m.score) if m.score in columns else 0,
                              format_func=lambda c: _column_label(ds, c), key=f"remap_score_{ds.id}")
            for slot, role in zip((cols[1], cols[2], cols[0], cols[1]), ("date", "comment", "respondent", "weight")):
                options: list[str | None] = [None, *columns]
                current = getattr(m, role)
                slot.selectbox(ROLE_LABELS[role], options, index=options.index(current) if current in options else 0,
                               format_func=lambda c: _column_label(ds, c), key=f"remap_{role}_{ds.id}")
            cols[2].selectbox("Date order", list(DATE_ORDERS), format_func=DATE_ORDERS.get,
                              index=list(DATE_ORDERS).index(m.date_order) if m.date_order in DATE_ORDERS else 0,
                              key=f"remap_order_{ds.id}")
            st.multiselect("Dimensions (segment, function, touchpoint, …)", columns,
                           default=[d for d in m.dimensions if d in columns], key=f"remap_dims_{ds.id}",
                           format_func=lambda c: _column_label(ds, c))
            st.multiselect(ITEMS_LABEL, columns, default=[i for i in m.items if i in columns],
                           key=f"remap_items_{ds.id}", format_func=lambda c: _column_label(ds, c), help=ITEMS_HELP)
            st.form_submit_button("Apply", type="primary", icon=":material/published_with_changes:",
                                  on_click=_apply_remap, args=(ds,))
        history = records.dataset_history(ds.id)
        if history:
            st.markdown("**History**")
            st.dataframe(pd.DataFrame([
                {"when": h.changed_at, "what changed": h.summary, "accepted": f"{h.accepted_before:,} → {h.accepted_after:,}",
                 "rejected": f"{h.rejected_before:,} → {h.rejected_after:,}"}
                for h in reversed(history)
            ]), hide_index=True, width="stretch")


tab_load, tab_manage = st.tabs(["Load a file", f"Datasets ({len(datasets)})"])

with tab_load:
    st.markdown(f"CSV, TSV and other delimited text, Excel (XLSX), Parquet, JSON or NDJSON exports from Qualtrics, "
                f"SurveyMonkey, Google Forms, Typeform or a spreadsheet; up to **{MAX_MB} MB**.")
    try:
        upload = face.current_upload()  # a file chosen before, kept on disk
    except NpsError as error:
        st.error(md(str(error)))
        upload = None
    if upload is None:
        chosen = st.file_uploader("Survey export", key=f"upload_{face.upload_round()}", help=f"Up to {MAX_MB} MB.")
        if chosen is not None:
            upload = face.keep_upload(chosen)  # a private copy on disk; Streamlit's in-memory one is dropped
    else:
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f"**Survey export:** {md(upload.name)} ({upload.size / 1024:,.1f} KB)")
        right.button("Choose another file", icon=":material/swap_horiz:", on_click=face.forget_upload)
    if st.button("Load the sample data", icon=":material/dataset:"):
        with st.spinner("Loading the sample…"):
            loaded = records.load_sample()
        face.open_dataset(loaded[0].id, "pages/overview.py")

    if upload is not None:
        st.session_state.pop("last_report", None)  # a new file: the previous load's report is done with
        path, digest = upload.path, upload.digest
        seen = records.find_loaded_file(digest)
        if seen:
            when = f", on {seen.loaded_at:%d %b %Y %H:%M}" if seen.loaded_at else ""
            st.info(f"This file was loaded before, as **{md(seen.dataset.name)}** (dataset {seen.dataset.id}, "
                    f"wave {seen.wave}{when}). Loading it again would count its responses twice.")
            if st.button("Open it", key="open_seen"):
                face.open_dataset(seen.dataset.id, "pages/overview.py")
        try:
            first = face.inspect_upload(path, display_name=upload.name)
        except NpsError as error:
            st.error(md(str(error)))
            st.stop()
        sheet = None
        if len(first.sheets) > 1:
            sheet = st.selectbox("Sheet", first.sheets, index=first.sheets.index(first.sheet) if first.sheet in first.sheets else 0,
                                 help="The sheet that seems to hold the responses is chosen; pick another if not.")
        encoding = None
        if first.format in TEXT_FORMATS:
            # Chosen before the file is read again, so a wrong choice can be undone after its error.
            choices = [None] + [e for e in reader.ENCODINGS if e != first.encoding]
            encoding = st.selectbox("Encoding", choices, key=f"encoding_{digest[:16]}",
                                    format_func=lambda e: f"{first.encoding} (detected)" if e is None else e,
                                    help="How the file's bytes become letters. If accented letters look wrong "
                                         "(FگLICITER, CittÃ ), choose another: most Western exports are cp1252 or "
                                         "utf-8, old DOS programs write cp850.")
        try:
            names = [c.name for c in first.columns]
            overrides = ingest.Overrides(**{role: st.session_state.get(f"map_{role}") for role in ROLES
                                            if st.session_state.get(f"map_{role}")},
                                         dimensions=tuple(st.session_state["map_dims"]) if "map_dims" in st.session_state else None,
                                         items=tuple(st.session_state["map_items"]) if "map_items" in st.session_state else None,
                                         no_date=st.session_state.get("map_date") == "",
                                         no_comment=st.session_state.get("map_comment") == "")
            inspection = face.inspect_upload(path, sheet=sheet, overrides=overrides, display_name=upload.name,
                                            encoding=encoding)
        except NpsError as error:
            st.error(md(str(error)))
            st.stop()

        st.markdown(f"**Detected:** {inspection.format.upper()} · encoding {inspection.encoding} · layout "
                    f"*{inspection.layout}* ({inspection.header_rows} header row(s)) · {inspection.kind} survey")
        for warning in inspection.warnings:
            st.warning(md(warning))

        st.subheader("Columns")
        st.caption("Each column's role as detected, with the reason. Change any role below; the preview updates.")
        info = pd.DataFrame([
            {"column": c.name, "question": c.label or "", "role": c.role or "", "why": c.reason,
             "distinct": c.distinct, "blank": c.blanks, "examples": text.mask_personal_data(" · ".join(c.examples))}
            for c in inspection.columns
        ])
        st.dataframe(info, hide_index=True, width="stretch")

        mapping = inspection.mapping
        cols = st.columns(3)
        cols[0].selectbox(ROLE_LABELS["score"], names, index=names.index(mapping.score) if mapping.score in names else 0,
                          key="map_score", help=md(mapping.reasons.get("score") or "") or None)
        for slot, role in zip((cols[1], cols[2], cols[0], cols[1]), ("date", "comment", "respondent", "weight")):
            current = getattr(mapping, role)
            options = [""] + names
            slot.selectbox(ROLE_LABELS[role], options, index=options.index(current) if current in options else 0,
                           key=f"map_{role}", format_func=lambda v: v or "(none)", help=md(mapping.reasons.get(role) or "") or None)
        cols[2].multiselect("Dimensions (segment, function, touchpoint, …)", names, default=list(mapping.dimensions),
                            key="map_dims")
        st.multiselect(ITEMS_LABEL, names, default=list(mapping.items), key="map_items", help=ITEMS_HELP)

        left, right = st.columns([3, 2])
        with left:
            st.markdown("**Preview** (first rows, as text; personal data masked)")
            st.dataframe(text.mask_frame(inspection.preview), hide_index=True, width="stretch")
        with right:
            hist = score_histogram(inspection.score_histogram)
            show_chart(charts.chart_distribution, hist, title=f"'{mapping.score}' in the first {inspection.rows_sampled:,} rows")

        st.subheader("Save")
        mode = st.radio("Save as", ["A new dataset", "A new wave of an existing dataset"], horizontal=True,
                        disabled=not datasets, key="save_mode")
        append_to = None
        if mode == "A new wave of an existing dataset" and datasets:
            by_id = {d.id: d for d in datasets}
            # Names can repeat: the id, size and date tell datasets apart.
            append_to = st.selectbox("Dataset", list(by_id), format_func=lambda i: _dataset_choice(by_id[i]),
                                     key="append_to")
            name = None
        else:
            name = st.text_input("Name", value=Path(upload.name).stem, key="save_name")
        again = bool(seen) and st.checkbox(
            "Load it again anyway", key=f"load_again_{face.upload_round()}",
            help="The rows are already in the dataset named above; a second copy counts every response twice.")
        # Noted by a callback (run before the script), so no rerun can lose the click.
        st.button("Load", type="primary", icon=":material/upload:", on_click=st.session_state.update,
                  kwargs={"_load_pressed": True})
        pressed = st.session_state.pop("_load_pressed", False)
        if pressed and seen and not again:
            st.error(f"Not loaded: this file is already dataset {seen.dataset.id} (wave {seen.wave}). Open it, or "
                     "tick *Load it again anyway* to load a second copy.")
        elif pressed:
            bar = st.progress(0.0, text="Reading the file…")
            try:
                report = records.ingest_file(
                    path, name=name, sheet=sheet, overrides=overrides, append_to=append_to,
                    allow_duplicate=again, display_name=upload.name, encoding=encoding,
                    limits=ingest.Limits(max_bytes=MAX_MB * 1024 * 1024),
                    progress=lambda share, text: bar.progress(min(max(share, 0.0), 1.0), text=text),
                )
            except DuplicateFileError as error:
                st.error(md(str(error)))
            except NpsError as error:
                st.error(md(str(error)))
            else:
                bar.progress(1.0, text="Done")
                st.session_state["last_report"] = report
                face.forget_upload()  # the file is in the database now
                face.open_dataset(report.dataset.id)
    elif "last_report" in st.session_state:
        _report(st.session_state["last_report"])
        st.page_link("pages/overview.py", label="Open the Overview", icon=":material/monitoring:")

with tab_manage:
    if "delete_error" in st.session_state:
        st.error(md(st.session_state.pop("delete_error")))
    if not datasets:
        st.info("No dataset yet.")
    for ds in datasets:
        with st.container(border=True):
            st.markdown(f"**{md(ds.name)}** · {ds.kind} survey · {ds.accepted:,} responses · {ds.rejected:,} rejected · "
                        f"{ds.waves} wave(s)")
            st.caption(f"From {md(ds.source_file or '?')} ({ds.format}, {ds.encoding}, layout {ds.layout}); "
                       f"loaded {ds.loaded_at:%d %b %Y %H:%M}" if ds.loaded_at else f"From {md(ds.source_file or '?')}")
            c1, c2, c3 = st.columns([3, 1, 1])
            new_name = c1.text_input("Rename", value=ds.name, key=f"rename_{ds.id}", label_visibility="collapsed")
            if c2.button("Rename", key=f"do_rename_{ds.id}") and new_name.strip() != ds.name:
                try:
                    records.rename_dataset(ds.id, new_name)  # forgets the cached reads
                except (NpsError, ValueError) as error:
                    st.error(md(str(error)))
                else:
                    st.rerun()
            # Two steps: this button only asks; the dataset goes with the confirmation's "Delete <name>".
            c3.button("Delete", key=f"ask_delete_{ds.id}", icon=":material/delete:",
                      on_click=st.session_state.update, kwargs={"_confirm_delete": ds.id})
            if st.session_state.get("_confirm_delete") == ds.id:
                st.warning(f"Delete **{md(ds.name)}** (dataset {ds.id}) and its {ds.accepted:,} responses, "
                           f"{ds.rejected:,} rejected rows and {ds.waves} wave(s)? This cannot be undone.")
                yes, no = st.columns(2)
                yes.button(f"Delete {md(ds.name)}", key=f"delete_{ds.id}", type="primary", icon=":material/delete:",
                           on_click=_delete, args=(ds.id,))
                no.button("Cancel", key=f"cancel_delete_{ds.id}", on_click=st.session_state.pop,
                          args=("_confirm_delete", None))
            _remap_section(ds)
            if ds.kind == "employee":
                _privacy_section(ds)
