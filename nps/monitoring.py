"""Telling an indicator's owner when it is flagged: one e-mail per indicator and period, through the outbox.

:func:`notify_flagged` evaluates every dataset's indicators (:mod:`nps.query.indicators`, monthly, every
response the dataset holds: the owner watches the whole indicator, not a reader's view) and enqueues an
e-mail to each flagged indicator's owner — a significant deterioration or a value past its threshold —
keyed by the indicator and its last period, so it is sent once per period however often it runs. The app
server runs it every hour; ``python -m nps indicators check DATASET --notify`` does it for one dataset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb

from nps.query.indicators import Status, evaluate, with_owner_flags
from nps.query.options import Options
from nps.store import Dataset, catalog, outbox
from nps.store.indicators import THEME, list_indicators
from nps.store.transactions import transaction


def _message(ds: Dataset, status: Status) -> tuple[str, str]:
    what = "deteriorated significantly" if status.deteriorated else "is past its threshold"
    subject = f"Indicator {status.indicator.name} {what}"
    body = (f"The indicator \"{status.indicator.name}\" on the dataset \"{ds.name}\" {what}.\n\n{status.sentence}\n\n"
            "Open Passaparola's Indicators & benchmarks page for its trend.\n\n— Passaparola")
    return subject, body


def enqueue_flags(cur: duckdb.DuckDBPyConnection, ds: Dataset, statuses: Sequence[Status], now: dt.datetime) -> int:
    """Enqueue one e-mail per flagged indicator with an owner and its last period (idempotent); how many were new."""
    outgoing = []
    for owner, status in with_owner_flags(statuses):
        period = status.series[-1].period if status.series else "none"
        subject, body = _message(ds, status)
        outgoing.append(outbox.Outgoing(f"indicator:{status.indicator.id}:{period}:flagged", outbox.EMAIL,
                                        recipient=owner, subject=subject, body=body,
                                        payload={"indicator": status.indicator.id, "period": period}))
    if not outgoing:
        return 0
    with transaction(cur):
        return outbox.enqueue_many(cur, outgoing, now=now)


def notify_flagged(cur: duckdb.DuckDBPyConnection, now: dt.datetime, *, opts: Options = Options(),
                   grain: str = "month") -> int:
    """Evaluate every dataset's indicators and enqueue the owners' e-mails (see the module); how many were new."""
    from nps.store.codebooks import current_codebook
    from nps.store.tagging import tag_dataset

    by_dataset: dict[int, list] = {}
    for indicator in list_indicators(cur):
        by_dataset.setdefault(indicator.dataset_id, []).append(indicator)
    sent = 0
    for dataset_id, found in by_dataset.items():
        ds = catalog.get_dataset(cur, dataset_id)
        codebook = None
        if ds.mapping.comment is not None and any(i.kind == THEME for i in found):
            codebook = current_codebook(cur)
            tag_dataset(cur, ds, codebook)
        sent += enqueue_flags(cur, ds, evaluate(cur, ds, found, None, grain, opts, codebook=codebook), now)
    return sent
