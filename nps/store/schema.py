"""The one schema of the tables every dataset shares: ordered migrations, applied once at connect.

The catalog (``datasets``, ``dataset_files``), ``targets``, ``dataset_history``,
``codebooks`` and ``comment_tagging`` are made and changed here only, by numbered
migrations recorded in ``schema_migrations``. Per-dataset tables (``responses_<id>``
and the others of :data:`nps.store.catalog.DATASET_TABLES`) are made by the code
that fills them.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from nps.store import sql
from nps.store.transactions import transaction

_SCHEMA = [
    "CREATE SEQUENCE IF NOT EXISTS dataset_ids START 1",
    """
    CREATE TABLE IF NOT EXISTS datasets (
        id INTEGER PRIMARY KEY,
        name VARCHAR NOT NULL,
        source_file VARCHAR,
        size_bytes BIGINT,
        sha256 VARCHAR,
        format VARCHAR,
        layout VARCHAR,
        encoding VARCHAR,
        mapping JSON,
        columns JSON,
        labels JSON,
        loaded_at TIMESTAMP,
        rows_read BIGINT,
        accepted BIGINT,
        rejected BIGINT,
        warnings JSON,
        waves INTEGER,
        kind VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS dataset_files (
        dataset_id INTEGER,
        wave INTEGER,
        source_file VARCHAR,
        size_bytes BIGINT,
        sha256 VARCHAR,
        loaded_at TIMESTAMP,
        rows_read BIGINT,
        accepted BIGINT,
        rejected BIGINT
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS targets (
        dataset_id INTEGER,
        dimension VARCHAR,
        value VARCHAR,
        target DOUBLE,
        updated_at TIMESTAMP,
        PRIMARY KEY (dataset_id, dimension, value)
    )
    """,
]

# The one schema of the tables every dataset shares: ordered, numbered migrations, each applied once
# (at connect) and recorded in ``schema_migrations`` (like Datasette's internal database). No other
# module creates or alters a shared table; per-dataset tables (``responses_<id>``, ``rejected_<id>``,
# ``comment_tags_<id>``) are made by the code that fills them. Version 1 is the original catalog, and
# every migration is written with IF NOT EXISTS, so that databases that made a table before it had a
# migration (before migrations existed, or before 3 and 4, when codebooks and themes made their own
# on first read) take it as it is.
_MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "catalog: datasets, their files, targets", tuple(_SCHEMA)),
    (
        2,
        "dataset_history: changes made to a dataset after loading",
        (
            """
            CREATE TABLE IF NOT EXISTS dataset_history (
                dataset_id INTEGER,
                changed_at TIMESTAMP,
                action VARCHAR,
                summary VARCHAR,
                mapping_before JSON,
                mapping_after JSON,
                accepted_before BIGINT,
                accepted_after BIGINT,
                rejected_before BIGINT,
                rejected_after BIGINT
            )
            """,
        ),
    ),
    (
        3,
        "codebooks: the saved versions of the codebook (nps.text.codebooks)",
        (
            """
            CREATE TABLE IF NOT EXISTS codebooks (
                number INTEGER PRIMARY KEY,
                version VARCHAR NOT NULL,
                saved_at TIMESTAMP,
                note VARCHAR,
                content VARCHAR
            )
            """,
        ),
    ),
    (
        4,
        "comment_tagging: which datasets are tagged with which codebook version (nps.text.themes)",
        (
            # Databases made before this migration may hold the table already (the theme reads made it),
            # some of them without ``waves`` (the waves the tags cover: a dataset with a wave appended
            # since is tagged again).
            """
            CREATE TABLE IF NOT EXISTS comment_tagging (
                dataset_id INTEGER,
                codebook_version VARCHAR,
                tagged_at TIMESTAMP,
                comments BIGINT,
                waves INTEGER,
                PRIMARY KEY (dataset_id, codebook_version)
            )
            """,
            "ALTER TABLE comment_tagging ADD COLUMN IF NOT EXISTS waves INTEGER",
        ),
    ),
    (
        5,
        "users, their scopes and the audit trail (nps.store.users, nps.store.audit)",
        (
            """
            CREATE TABLE IF NOT EXISTS users (
                email VARCHAR PRIMARY KEY,
                role VARCHAR NOT NULL,
                added_at TIMESTAMP,
                added_by VARCHAR
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS user_scopes (
                email VARCHAR,
                column_name VARCHAR,
                value VARCHAR,
                PRIMARY KEY (email, column_name, value)
            )
            """,
            "CREATE SEQUENCE IF NOT EXISTS audit_ids START 1",
            """
            CREATE TABLE IF NOT EXISTS audit_log (
                id BIGINT PRIMARY KEY DEFAULT nextval('audit_ids'),
                happened_at TIMESTAMP NOT NULL,
                actor VARCHAR NOT NULL,
                action VARCHAR NOT NULL,
                target VARCHAR,
                before_value JSON,
                after_value JSON
            )
            """,
        ),
    ),
    (
        6,
        "group claims mapped to roles; each dataset's anonymity thresholds (nps.store.users, nps.store.privacy)",
        (
            """
            CREATE TABLE IF NOT EXISTS group_roles (
                group_name VARCHAR PRIMARY KEY,
                role VARCHAR NOT NULL,
                added_at TIMESTAMP,
                added_by VARCHAR
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS dataset_privacy (
                dataset_id INTEGER PRIMARY KEY,
                min_group INTEGER NOT NULL,
                min_comment_group INTEGER NOT NULL,
                updated_at TIMESTAMP,
                updated_by VARCHAR
            )
            """,
        ),
    ),
    (
        7,
        "follow-up: rules, routes, escalation ladder, working calendar, cases and their events, improvement actions, "
        "the outbox of notifications (nps.store.cases, nps.store.outbox)",
        (
            "CREATE SEQUENCE IF NOT EXISTS followup_rule_ids START 1",
            """
            CREATE TABLE IF NOT EXISTS followup_rules (
                id BIGINT PRIMARY KEY DEFAULT nextval('followup_rule_ids'),
                name VARCHAR NOT NULL,
                kind VARCHAR NOT NULL,
                dataset_id INTEGER,
                position INTEGER NOT NULL,
                enabled BOOLEAN NOT NULL DEFAULT TRUE,
                categories VARCHAR[],
                score_min INTEGER,
                score_max INTEGER,
                conditions JSON,
                needs_comment BOOLEAN NOT NULL DEFAULT FALSE,
                owner VARCHAR,
                team VARCHAR,
                route_column VARCHAR,
                priority VARCHAR NOT NULL,
                first_contact_hours DOUBLE NOT NULL,
                close_hours DOUBLE NOT NULL,
                clock VARCHAR NOT NULL,
                created_at TIMESTAMP,
                created_by VARCHAR
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS followup_routes (
                rule_id BIGINT NOT NULL,
                value VARCHAR NOT NULL,
                owner VARCHAR,
                team VARCHAR,
                PRIMARY KEY (rule_id, value)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS escalation_ladder (
                team VARCHAR NOT NULL,
                level INTEGER NOT NULL,
                level_name VARCHAR NOT NULL,
                contact VARCHAR NOT NULL,
                PRIMARY KEY (team, level)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS work_calendar (
                id INTEGER PRIMARY KEY,
                timezone VARCHAR NOT NULL,
                work_days VARCHAR NOT NULL,
                day_start TIME NOT NULL,
                day_end TIME NOT NULL,
                updated_at TIMESTAMP,
                updated_by VARCHAR
            )
            """,
            "CREATE TABLE IF NOT EXISTS holidays (day DATE PRIMARY KEY, name VARCHAR)",
            "CREATE SEQUENCE IF NOT EXISTS case_ids START 1",
            """
            CREATE TABLE IF NOT EXISTS cases (
                id BIGINT PRIMARY KEY DEFAULT nextval('case_ids'),
                dataset_id INTEGER NOT NULL,
                response_row BIGINT NOT NULL,
                response_wave INTEGER NOT NULL,
                kind VARCHAR NOT NULL,
                rule_id BIGINT,
                respondent VARCHAR,
                score INTEGER,
                category VARCHAR,
                status VARCHAR NOT NULL,
                outcome VARCHAR,
                owner VARCHAR,
                team VARCHAR,
                priority VARCHAR NOT NULL,
                escalation_level INTEGER NOT NULL DEFAULT 0,
                opened_at TIMESTAMP NOT NULL,
                first_contact_due TIMESTAMP,
                close_due TIMESTAMP,
                contacted_at TIMESTAMP,
                closed_at TIMESTAMP,
                root_cause VARCHAR,
                resolution VARCHAR,
                version INTEGER NOT NULL DEFAULT 1,
                updated_at TIMESTAMP,
                updated_by VARCHAR,
                UNIQUE (dataset_id, response_row, response_wave, kind)
            )
            """,
            "CREATE SEQUENCE IF NOT EXISTS case_event_ids START 1",
            """
            CREATE TABLE IF NOT EXISTS case_events (
                id BIGINT PRIMARY KEY DEFAULT nextval('case_event_ids'),
                case_id BIGINT NOT NULL,
                happened_at TIMESTAMP NOT NULL,
                actor VARCHAR NOT NULL,
                event VARCHAR NOT NULL,
                before_value JSON,
                after_value JSON,
                note VARCHAR
            )
            """,
            "CREATE SEQUENCE IF NOT EXISTS action_ids START 1",
            """
            CREATE TABLE IF NOT EXISTS improvement_actions (
                id BIGINT PRIMARY KEY DEFAULT nextval('action_ids'),
                title VARCHAR NOT NULL,
                business_function VARCHAR,
                owner VARCHAR,
                due_date DATE,
                status VARCHAR NOT NULL,
                started_on DATE,
                dataset_id INTEGER,
                themes VARCHAR[],
                conditions JSON,
                notes VARCHAR,
                version INTEGER NOT NULL DEFAULT 1,
                created_at TIMESTAMP,
                created_by VARCHAR,
                updated_at TIMESTAMP,
                updated_by VARCHAR
            )
            """,
            "CREATE SEQUENCE IF NOT EXISTS action_event_ids START 1",
            """
            CREATE TABLE IF NOT EXISTS action_events (
                id BIGINT PRIMARY KEY DEFAULT nextval('action_event_ids'),
                action_id BIGINT NOT NULL,
                happened_at TIMESTAMP NOT NULL,
                actor VARCHAR NOT NULL,
                event VARCHAR NOT NULL,
                before_value JSON,
                after_value JSON,
                note VARCHAR
            )
            """,
            "CREATE SEQUENCE IF NOT EXISTS outbox_ids START 1",
            """
            CREATE TABLE IF NOT EXISTS outbox (
                id BIGINT PRIMARY KEY DEFAULT nextval('outbox_ids'),
                event_key VARCHAR NOT NULL UNIQUE,
                created_at TIMESTAMP NOT NULL,
                channel VARCHAR NOT NULL,
                recipient VARCHAR,
                subject VARCHAR,
                body VARCHAR,
                payload JSON,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TIMESTAMP,
                last_error VARCHAR,
                sent_at TIMESTAMP,
                gave_up_at TIMESTAMP
            )
            """,
        ),
    ),
    (
        8,
        "follow-up: the ladder level's contact a case was copied up to on escalation (nps.store.cases)",
        ("ALTER TABLE cases ADD COLUMN IF NOT EXISTS escalated_to VARCHAR",),
    ),
    (
        9,
        "reviews: their cadence and participants, meetings, notes and decisions, actions decided, packs queued for "
        "sending (nps.store.reviews)",
        (
            "CREATE SEQUENCE IF NOT EXISTS review_ids START 1",
            """
            CREATE TABLE IF NOT EXISTS reviews (
                id BIGINT PRIMARY KEY DEFAULT nextval('review_ids'),
                dataset_id INTEGER NOT NULL,
                name VARCHAR NOT NULL,
                dimension VARCHAR,
                value VARCHAR,
                cadence VARCHAR NOT NULL,
                participants VARCHAR NOT NULL,
                include VARCHAR NOT NULL,
                send_days_before INTEGER,
                pack_format VARCHAR NOT NULL,
                created_at TIMESTAMP,
                created_by VARCHAR
            )
            """,
            # A review's name is unique whatever its case ("Billing monthly" and "billing MONTHLY" are one).
            "CREATE UNIQUE INDEX IF NOT EXISTS reviews_name ON reviews (lower(name))",
            "CREATE SEQUENCE IF NOT EXISTS review_meeting_ids START 1",
            """
            CREATE TABLE IF NOT EXISTS review_meetings (
                id BIGINT PRIMARY KEY DEFAULT nextval('review_meeting_ids'),
                review_id BIGINT NOT NULL,
                held_on DATE NOT NULL,
                created_at TIMESTAMP,
                created_by VARCHAR,
                UNIQUE (review_id, held_on)
            )
            """,
            "CREATE SEQUENCE IF NOT EXISTS review_entry_ids START 1",
            """
            CREATE TABLE IF NOT EXISTS review_entries (
                id BIGINT PRIMARY KEY DEFAULT nextval('review_entry_ids'),
                meeting_id BIGINT NOT NULL,
                kind VARCHAR NOT NULL,
                text VARCHAR NOT NULL,
                author VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS review_actions (
                meeting_id BIGINT NOT NULL,
                action_id BIGINT NOT NULL,
                PRIMARY KEY (meeting_id, action_id)
            )
            """,
            "CREATE SEQUENCE IF NOT EXISTS review_send_ids START 1",
            """
            CREATE TABLE IF NOT EXISTS review_sends (
                id BIGINT PRIMARY KEY DEFAULT nextval('review_send_ids'),
                review_id BIGINT NOT NULL,
                held_on DATE NOT NULL,
                format VARCHAR NOT NULL,
                sha256 VARCHAR NOT NULL,
                pack BLOB NOT NULL,
                recipients VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL,
                UNIQUE (review_id, held_on)
            )
            """,
        ),
    ),
    (
        10,
        "benchmarks: external NPS references with their source, year, country, industry, touchpoint, method and n",
        (
            "CREATE SEQUENCE IF NOT EXISTS benchmark_ids START 1",
            """
            CREATE TABLE IF NOT EXISTS benchmarks (
                id BIGINT PRIMARY KEY DEFAULT nextval('benchmark_ids'),
                name VARCHAR NOT NULL,
                nps DOUBLE NOT NULL,
                source VARCHAR NOT NULL,
                year INTEGER NOT NULL,
                country VARCHAR,
                industry VARCHAR,
                touchpoint VARCHAR,
                method VARCHAR NOT NULL,
                n INTEGER,
                fictitious BOOLEAN NOT NULL DEFAULT false,
                created_at TIMESTAMP,
                created_by VARCHAR
            )
            """,
        ),
    ),
    (
        11,
        "indicators to monitor: an NPS of some responses or a theme's share, with threshold, target and owner",
        (
            "CREATE SEQUENCE IF NOT EXISTS indicator_ids START 1",
            """
            CREATE TABLE IF NOT EXISTS indicators (
                id BIGINT PRIMARY KEY DEFAULT nextval('indicator_ids'),
                dataset_id BIGINT NOT NULL,
                name VARCHAR NOT NULL,
                kind VARCHAR NOT NULL,
                conditions VARCHAR NOT NULL,
                theme VARCHAR,
                threshold DOUBLE,
                target DOUBLE,
                owner VARCHAR,
                created_at TIMESTAMP,
                created_by VARCHAR,
                UNIQUE (dataset_id, name)
            )
            """,
        ),
    ),
    (
        12,
        "indicators: the item rating an item indicator follows (its mean per period)",
        ("ALTER TABLE indicators ADD COLUMN IF NOT EXISTS item VARCHAR",),
    ),
    (
        13,
        "caveat tables: a dataset's population shares and invitations, kept for its caveats and packs",
        (
            """
            CREATE TABLE IF NOT EXISTS caveat_tables (
                dataset_id BIGINT NOT NULL,
                kind VARCHAR NOT NULL,
                name VARCHAR NOT NULL,
                content VARCHAR NOT NULL,
                saved_at TIMESTAMP NOT NULL,
                saved_by VARCHAR NOT NULL,
                PRIMARY KEY (dataset_id, kind)
            )
            """,
        ),
    ),
)



def ensure_schema(cur: duckdb.DuckDBPyConnection) -> None:
    """Apply the schema migrations this database has not had yet, in order, each in its own transaction."""
    sql.execute(
        cur,
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, note VARCHAR, applied_at TIMESTAMP)",
    )
    applied = {int(v) for (v,) in sql.fetch_all(cur, "SELECT version FROM schema_migrations")}
    for version, note, statements in _MIGRATIONS:
        if version in applied:
            continue
        with transaction(cur):
            for statement in statements:
                sql.execute(cur, statement)
            sql.execute(cur, "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, note, dt.datetime.now()])


def schema_version(cur: duckdb.DuckDBPyConnection) -> int:
    """The number of the last schema migration applied to this database (0 for none)."""
    return int(sql.fetch_value(cur, "SELECT coalesce(max(version), 0) FROM schema_migrations") or 0)
