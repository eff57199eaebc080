"""Which column plays which role (score, date, comment, respondent, weight, item ratings, dimensions), with reasons.

Every choice comes with a sentence saying why, shown to the user next to the column; the words
and patterns that recognise a role's column are in :mod:`nps.ingest.vocabulary`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from nps import domain
from nps.errors import IngestError
from nps.store import ColumnMapping
from nps.ingest import dates
from nps.ingest.profiling import ColumnProfile, is_datey, matches, percent, show_number, show_values
from nps.ingest import values
from nps.ingest import vocabulary


@dataclass(frozen=True)
class ResolvedOverrides:
    """Overrides with every column already resolved to a stored name."""

    score: str | None = None
    date: str | None = None
    comment: str | None = None
    respondent: str | None = None
    weight: str | None = None
    dimensions: tuple[str, ...] | None = None
    date_order: str | None = None
    no_date: bool = False
    no_comment: bool = False
    items: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Detection:
    """The detector's answer: the mapping, how to read the date, and what to tell the user."""

    mapping: ColumnMapping
    date_kind: str | None
    date_fast_formats: tuple[tuple[str, str], ...]
    date_order_decided: bool
    kind: str
    warnings: tuple[str, ...]
    column_notes: dict[str, str] = field(hash=False, compare=False)


def _score_level(p: ColumnProfile) -> int:
    if matches(vocabulary.RECOMMEND, p) or matches(vocabulary.EMPLOYEE_QUESTION, p):
        return 3
    if any(vocabulary.NPS_NAME.match(t.strip()) for t in (p.name, p.header, p.label or "")):
        return 2
    if any(vocabulary.SCORE_NAME.match(t.strip()) for t in (p.name, p.header, p.label or "")):
        return 1
    return 0


def _is_metadata(p: ColumnProfile) -> bool:
    return any(vocabulary.METADATA.match(t.strip()) for t in (p.name, p.header, p.label or "") if t)


def find_score_candidates(profiles: list[ColumnProfile]) -> tuple[list[tuple[int, ColumnProfile]], list[str]]:
    """Columns that can be the score (with their name level) and why each other one cannot.

    The reasons come nearest miss first: a few 0–10 values, then other
    numbers, text, dates, empty columns, and the skipped metadata last.
    """
    chosen: list[tuple[int, ColumnProfile]] = []
    failures: list[tuple[int, int, str]] = []
    metadata: list[str] = []
    for p in profiles:
        level = _score_level(p)
        if p.nonblank == 0:
            failures.append((4, p.position, f"{p.name!r} is empty"))
            continue
        if matches(vocabulary.NPS_GROUP, p) or (level < 3 and _is_metadata(p)):
            metadata.append(p.name)
            continue
        rate = p.score_ok / p.nonblank
        # A column worded like the question may hold many "N/A"s; an unnamed one must be clean.
        if rate < (0.5 if level >= 2 else 0.8):
            if p.numeric >= 0.8 * p.nonblank:
                failures.append(
                    (
                        1,
                        p.position,
                        f"{p.name!r} holds numbers from {show_number(p.number_min)} to {show_number(p.number_max)}, "
                        "not whole numbers 0–10",
                    )
                )
            elif is_datey(p):
                failures.append((3, p.position, f"{p.name!r} holds dates"))
            else:
                failures.append(
                    (2, p.position, f"{p.name!r} holds text, not 0–10 numbers (e.g. {show_values(p.examples, 2)})")
                )
            continue
        if level >= 2:
            chosen.append((level, p))
            continue
        if p.score_ok < 5:
            failures.append(
                (
                    0,
                    p.position,
                    f"{p.name!r} has only {p.score_ok} value(s) ({show_values(p.examples, 3)}), "
                    "too few to tell a 0–10 scale",
                )
            )
        elif (p.score_max or 0) <= 5:
            failures.append(
                (0, p.position, f"{p.name!r} only goes from {p.score_min} to {p.score_max} (a 1–5 rating?)")
            )
        elif p.score_distinct < 3 or (p.score_max or 0) < 7:
            failures.append(
                (0, p.position, f"{p.name!r} only holds {p.score_distinct} different values up to {p.score_max}")
            )
        else:
            chosen.append((level, p))
    ordered = [text for _, _, text in sorted(failures)]
    if metadata:
        ordered.append(f"{len(metadata)} survey-tool or group column(s) skipped ({', '.join(metadata[:5])})")
    return chosen, ordered


def choose_score(
    profiles: list[ColumnProfile], *, file: str, override: str | None
) -> tuple[ColumnProfile, str, list[str]]:
    """Pick the score column; return it, the reason, and warnings.

    Raises :class:`IngestError` naming the columns considered when none fits.
    """
    by_name = {p.name: p for p in profiles}
    if override is not None:
        p = by_name[override]
        share = f"{percent(p.score_ok, p.nonblank)} of {p.nonblank} sampled values are whole numbers 0–10"
        warnings = []
        if p.nonblank and p.score_ok < 0.8 * p.nonblank:
            warnings.append(f"the score column {p.name!r} you chose has only {share}; the other rows will be rejected")
        return p, f"chosen by you; {share}", warnings
    candidates, failures = find_score_candidates(profiles)
    if not candidates:
        considered = "; ".join(failures[:8]) + (f"; and {len(failures) - 8} more" if len(failures) > 8 else "")
        raise IngestError(
            f"no column can be the 0–10 score: {considered}. Name the score column (score=...) if the file has one",
            file=file,
        )
    best_level = max(level for level, _ in candidates)
    top = [p for level, p in candidates if level == best_level]
    p = top[0]
    share = f"{percent(p.score_ok, p.nonblank)} of {p.nonblank} sampled values are whole numbers 0–10"
    warnings: list[str] = []
    if best_level == 3:
        wording = p.label or p.header or p.name
        reason = f'{p.name!r} reads like the recommend question ("{_short(wording)}"); {share}'
    elif best_level == 2:
        reason = f"{p.name!r} is named like an NPS score; {share}"
    elif best_level == 1:
        reason = f"{p.name!r} is named like a score; {share}"
    else:
        reason = f"{p.name!r} is the column whose values are whole numbers 0–10 ({share})"
    if len(top) > 1:
        others = ", ".join(repr(o.name) for o in top[1:6])
        if best_level == 0:
            reason = (
                f"{p.name!r} is the first of {len(top)} columns holding whole numbers 0–10 (also {others}); "
                f"none is worded like the recommend question — choose another if this is wrong; {share}"
            )
            warnings.append(
                f"several columns hold 0–10 numbers and none reads like the recommend question; took the first, "
                f"{p.name!r} (others: {others}) — choose the score column if that is wrong"
            )
        else:
            reason += f"; first of {len(top)} such columns (also {others})"
    return p, reason, warnings


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def choose_comment(
    profiles: list[ColumnProfile],
    *,
    exclude: set[str],
    override: str | None,
    no_comment: bool,
) -> tuple[ColumnProfile | None, str]:
    """Pick the free-text comment column (or None) and the reason."""
    if no_comment:
        return None, "no comment column: you chose none"
    if override is not None:
        return next(p for p in profiles if p.name == override), "chosen by you"
    options = []
    for p in profiles:
        if p.name in exclude or p.nonblank == 0 or _is_metadata(p) or is_datey(p):
            continue
        if p.numeric > 0.5 * p.nonblank:
            continue
        level = _comment_level(p)
        if level:
            options.append(((level, p.text_len), p, level))
    if not options:
        return None, "no column holds free text"
    options.sort(key=lambda o: o[0], reverse=True)
    _, p, level = options[0]
    how = "is named like a comment and holds" if level >= 2 else "holds"
    filled = p.nonblank - p.missing_text
    reason = (
        f"{p.name!r} {how} free text: {p.text_len:.0f} characters on average, "
        f"{percent(min(p.distinct, filled), filled)} distinct over {filled} sampled answers"
    )
    if p.missing_text:
        reason += f" ({p.missing_text} more say only NA, N/A, - or the like: no comment)"
    return p, reason


def _comment_level(p: ColumnProfile) -> int:
    """How surely a text column is the comment: 3 named only as a comment, 2 named like one, 1 long text, 0 not.

    A column with a comment's name is the comment even when its texts repeat
    (templated or short comments); "reason"-like names, which also name
    categories (a contact reason), need more varied text; an unnamed column
    needs long, varied text.
    """
    filled = p.nonblank - p.missing_text
    if filled <= 0:
        return 0
    varied = p.distinct >= 0.5 * filled
    if matches(vocabulary.COMMENT_STRONG, p) and not matches(vocabulary.COMMENT_CATEGORY, p):
        if p.text_len >= 3 and p.distinct >= 3:
            return 3
    elif matches(vocabulary.COMMENT_STRONG, p) or matches(vocabulary.COMMENT_NAME, p):
        if (varied and p.text_len >= 5) or (p.distinct > 12 and p.text_len >= 12) or p.text_len >= 20:
            return 2
    if p.text_len >= 20 and varied:
        return 1
    return 0


def choose_respondent(
    profiles: list[ColumnProfile],
    *,
    exclude: set[str],
    override: str | None,
) -> tuple[ColumnProfile | None, str]:
    """Pick the respondent-id column (or None) and the reason."""
    if override is not None:
        return next(p for p in profiles if p.name == override), "chosen by you"
    options = []
    response_ids = []
    for p in profiles:
        if p.name in exclude or p.nonblank == 0 or p.avg_len > 80 or is_datey(p):
            continue
        if matches(vocabulary.RESPONDENT_PERSON, p):
            # Few values that repeat are a category (an account list, a customer type), not who answered.
            if p.distinct > 60 or (p.distinct >= 10 and p.distinct >= p.nonblank // 3):
                ranks = vocabulary.RESPONDENT_RANK
                rank = next((len(ranks) - i for i, rx in enumerate(ranks) if matches(rx, p)), 0)
                options.append(((rank, p.distinct < p.nonblank, -p.position), p))
        elif matches(vocabulary.RESPONSE_ID, p):
            if p.distinct >= p.nonblank:
                response_ids.append(p.name)
            elif p.distinct >= 0.3 * p.nonblank:
                # A generic id whose values repeat identifies something that answers more than once.
                options.append(((-1, True, -p.position), p))
    if not options:
        if response_ids:
            return None, (
                f"no respondent id: {show_values(tuple(response_ids), 3)} is unique per row (a response id, "
                "not who answered)"
            )
        return None, "no id-like column"
    options.sort(key=lambda o: o[0], reverse=True)
    p = options[0][1]
    if p.distinct < p.nonblank:
        repeated = f"{p.nonblank - p.distinct} of its {p.nonblank} sampled values repeat an earlier one"
    else:
        repeated = f"its {p.nonblank} sampled values are all different (each answered once so far)"
    named = "is named like a customer, account or person id" if options[0][0][0] >= 0 else "is an id whose values repeat"
    reason = f"{p.name!r} {named}; {repeated}"
    if response_ids:
        reason += f" (preferred over the response id {show_values(tuple(response_ids), 2)})"
    return p, reason


def choose_weight(
    profiles: list[ColumnProfile],
    *,
    exclude: set[str],
    override: str | None,
) -> tuple[ColumnProfile | None, str]:
    """Pick a weight column (or None) and the reason: only a column named like a weight."""
    if override is not None:
        return next(p for p in profiles if p.name == override), "chosen by you"
    for p in profiles:
        if p.name in exclude or p.nonblank == 0:
            continue
        if any(vocabulary.WEIGHT_NAME.search(t.strip()) for t in (p.name, p.header)) and p.numeric >= 0.95 * p.nonblank:
            return p, f"{p.name!r} is named like a weight and holds numbers"
    return None, "no weight column"


# The scales an item rating may sit on, and the smallest holding some values: nps.domain's (the indicators use them).
ITEM_SCALES = domain.ITEM_SCALES
item_scale = domain.item_scale


def choose_items(
    profiles: list[ColumnProfile],
    *,
    exclude: set[str],
    override: tuple[str, ...] | None,
) -> tuple[list[ColumnProfile], dict[str, str]]:
    """Pick the item ratings (satisfaction or agreement items next to the score), with reasons.

    An item holds whole numbers (at least 95% of its non-blank sampled values) on
    a 1–5, 1–7, 1–10 or 0–10 scale (:func:`item_scale`). A column named like a
    rating (``vocabulary.ITEM_NAME``: rating, satisfaction, agreement… in
    it/en/fr/es/de/pt) needs at least 2 different values; another numeric column at
    least 5 different values reaching 5 or more, and no name of metadata, a count
    or an amount. A column whose sampled values (2 to 8 different) are all words of
    a 5-point agreement or satisfaction scale (:data:`nps.domain.ITEM_LABELS`:
    "agree", "d'accordo", "très satisfait"…) is an item on a 1–5 scale too.
    """
    by_name = {p.name: p for p in profiles}
    if override is not None:
        return [by_name[n] for n in override], {n: "chosen by you as an item rating" for n in override}
    chosen, reasons = [], {}
    for p in profiles:
        if p.name in exclude or p.nonblank == 0 or _is_metadata(p) or matches(vocabulary.NPS_GROUP, p):
            continue
        if _labelled(p):
            reasons[p.name] = (
                f"{p.name!r} holds the words of an agreement or satisfaction scale ({show_values(p.examples, 3)}): "
                "an item rating on a 1–5 scale, read as 1–5"
            )
            chosen.append(p)
            continue
        if p.numeric < 0.95 * p.nonblank or p.whole < 0.95 * p.nonblank:
            continue
        scale = item_scale(p.number_min, p.number_max)
        if scale is None:
            continue
        named = matches(vocabulary.ITEM_NAME, p)
        if named and p.distinct >= 2:
            how = "is named like a rating and holds"
        elif not named and p.distinct >= 5 and (p.number_max or 0) >= 5 and not matches(vocabulary.MEASURE_NAME, p):
            how = "holds"
        else:
            continue
        reasons[p.name] = (
            f"{p.name!r} {how} whole numbers from {show_number(p.number_min)} to {show_number(p.number_max)}: "
            f"an item rating on a {scale[0]}–{scale[1]} scale"
        )
        chosen.append(p)
    return chosen, reasons


def _labelled(p: ColumnProfile) -> bool:
    """Whether every sampled value (2 to 8 different ones, all among the examples) is a word of an item scale."""
    if not 2 <= p.distinct <= min(8, len(p.examples)) or p.numeric > 0:
        return False
    return all(domain.item_label_key(v) in domain.ITEM_LABELS for v in p.examples)


def choose_dimensions(
    profiles: list[ColumnProfile],
    *,
    exclude: set[str],
    override: tuple[str, ...] | None,
) -> tuple[list[ColumnProfile], dict[str, str]]:
    """Pick the low-cardinality categorical columns to break results down by, with reasons."""
    by_name = {p.name: p for p in profiles}
    if override is not None:
        return [by_name[n] for n in override], {n: "chosen by you" for n in override}
    chosen, reasons = [], {}
    for p in profiles:
        if p.name in exclude or p.nonblank == 0 or (_is_metadata(p) and not matches(vocabulary.DISTRIBUTION, p)):
            continue
        if not 2 <= p.distinct <= 60 or p.distinct > max(2, p.nonblank // 2):
            continue
        if is_datey(p) or p.avg_len > 60:
            continue
        if p.numeric > 0.5 * p.nonblank:
            if not _is_numeric_code(p):
                continue
            reasons[p.name] = (
                f"{p.name!r} holds {p.distinct} different whole numbers in the sample "
                f"({show_number(p.number_min)} to {show_number(p.number_max)}): a code or a flag"
            )
        else:
            reasons[p.name] = (
                f"{p.name!r} has {p.distinct} distinct values in the sample, e.g. {show_values(p.examples, 3)}"
            )
        chosen.append(p)
    return chosen, reasons


def _is_numeric_code(p: ColumnProfile) -> bool:
    """A numeric column that names groups: a 0/1 flag or a small whole-number code (a tier, a level).

    Not a rating or an amount: at most 10 different whole numbers, none
    negative, and a name that is not a rating's, a count's or a measure's.
    """
    return (
        p.whole >= 0.95 * p.nonblank
        and p.distinct <= 10
        and (p.number_min or 0) >= 0
        and (p.number_max or 0) < 1000
        and not matches(vocabulary.MEASURE_NAME, p)
        and not matches(vocabulary.NPS_GROUP, p)
        and _score_level(p) == 0
    )


def choose_survey_type(dimensions: list[ColumnProfile]) -> tuple[ColumnProfile | None, str]:
    """Among the dimensions, the one naming the survey type (transactional / relationship), if any."""
    for p in dimensions:
        if matches(vocabulary.SURVEY_TYPE_NAME, p):
            return p, f"{p.name!r} is named like a survey type"
    for p in dimensions:
        hits = [v for v in p.examples if vocabulary.SURVEY_TYPE_VALUE.search(v)]
        if hits and len(hits) >= 0.5 * min(len(p.examples), p.distinct):
            return p, f"{p.name!r} values read like survey types ({show_values(tuple(hits), 3)})"
    return None, "no survey-type column"


def detect_kind(score: ColumnProfile, profiles: list[ColumnProfile]) -> tuple[str, str]:
    """Return ``('employee' | 'customer', reason)`` from the score question and the columns."""
    if matches(vocabulary.EMPLOYEE_QUESTION, score):
        return "employee", "the score question asks about recommending a place to work (eNPS)"
    employee_cols = [p.name for p in profiles if vocabulary.EMPLOYEE_COLUMN.search(p.name)]
    if len(employee_cols) >= 2:
        return "employee", f"employee columns: {', '.join(employee_cols[:4])}"
    return "customer", "the score question is about recommending to others"


def detect_roles(
    con: duckdb.DuckDBPyConnection,
    table: str,
    profiles: list[ColumnProfile],
    overrides: ResolvedOverrides,
    *,
    file: str,
    dayfirst_language: bool,
) -> Detection:
    """Choose every role from the sample profiles, honouring the overrides.

    Raises :class:`IngestError` when no column can be the score.
    """
    warnings: list[str] = []
    reasons: dict[str, str] = {}
    score, reasons["score"], more = choose_score(profiles, file=file, override=overrides.score)
    warnings += more
    taken = {score.name}
    date, date_kind, reasons["date"] = dates.choose_date(
        profiles, exclude=taken, override=overrides.date, no_date=overrides.no_date
    )
    order: str | None = None
    decided = True
    fast: tuple[tuple[str, str], ...] = ()
    if date is not None:
        taken.add(date.name)
        if date_kind == values.DATE_TEXT:
            order, decided, sentence, more = dates.decide_date_order(
                date, override=overrides.date_order, dayfirst_language=dayfirst_language
            )
            warnings += more
            reasons["date"] += f"; {sentence}"
            fast = dates.choose_fast_formats(con, table, date.internal, order, date_kind)
        else:
            order = overrides.date_order
    comment, reasons["comment"] = choose_comment(
        profiles, exclude=taken, override=overrides.comment, no_comment=overrides.no_comment
    )
    if comment is not None:
        taken.add(comment.name)
    respondent, reasons["respondent"] = choose_respondent(profiles, exclude=taken, override=overrides.respondent)
    if respondent is not None:
        taken.add(respondent.name)
    weight, reasons["weight"] = choose_weight(profiles, exclude=taken, override=overrides.weight)
    if weight is not None:
        taken.add(weight.name)
    items, item_reasons = choose_items(profiles, exclude=taken, override=overrides.items)
    for column, sentence in item_reasons.items():
        reasons.setdefault(column, sentence)
    # An item is not also a dimension (unless the user names it as one, in which case it is no item).
    chosen_dims = set(overrides.dimensions or ())
    items = [p for p in items if p.name not in chosen_dims]
    dims, dim_reasons = choose_dimensions(
        profiles, exclude=taken | {p.name for p in items}, override=overrides.dimensions
    )
    for column, sentence in dim_reasons.items():
        reasons.setdefault(column, sentence)  # a dimension named like a role keeps the role's reason
    survey_type, st_reason = choose_survey_type(dims)
    if survey_type is not None:
        reasons["survey_type"] = st_reason
    kind, _ = detect_kind(score, profiles)
    if score.score_ok >= 100 and score.score_min == 1 and score.score_max == 10:
        warnings.append(describe_one_to_ten(score.name, score.score_ok, sampled=True))
    mapping = ColumnMapping(
        score=score.name,
        date=date.name if date else None,
        comment=comment.name if comment else None,
        respondent=respondent.name if respondent else None,
        weight=weight.name if weight else None,
        dimensions=tuple(p.name for p in dims),
        items=tuple(p.name for p in items),
        survey_type=survey_type.name if survey_type else None,
        date_order=order,
        reasons=reasons,
    )
    notes = _column_notes(profiles, mapping)
    return Detection(
        mapping=mapping,
        date_kind=date_kind if date else None,
        date_fast_formats=fast,
        date_order_decided=decided,
        kind=kind,
        warnings=tuple(warnings),
        column_notes=notes,
    )


def describe_one_to_ten(column: str, count: int, *, sampled: bool) -> str:
    """The warning for a score column that never holds 0 (a 1–10 scale)."""
    where = "sampled scores" if sampled else "scores"
    return (
        f"the score column {column!r} looks like a 1–10 scale: no 0 among {count:,} {where}; it is read as 0–10 "
        "(1–6 detractors), which lowers the NPS — check the question's scale"
    )


def _column_notes(profiles: list[ColumnProfile], mapping: ColumnMapping) -> dict[str, str]:
    notes = {}
    for p in profiles:
        if p.nonblank == 0:
            notes[p.name] = "empty in the sample"
        elif _is_metadata(p):
            notes[p.name] = "survey-tool metadata, not analysed"
        elif is_datey(p):
            notes[p.name] = "dates (another column is the response date)"
        elif p.missing_text and p.missing_text >= p.nonblank - 1:
            notes[p.name] = "only NA, N/A, - or the like in the sample, no role"
        elif p.numeric >= 0.8 * p.nonblank:
            notes[p.name] = f"numbers from {show_number(p.number_min)} to {show_number(p.number_max)}, no role"
        elif p.distinct > 60 or p.distinct > max(2, p.nonblank // 2):
            notes[p.name] = f"text with {p.distinct} distinct values in the sample, no role"
        else:
            notes[p.name] = "no role"
    return notes


def find_role(name: str, mapping: ColumnMapping) -> str | None:
    """The role a stored column plays in a mapping, or None."""
    for role in ("score", "date", "comment", "respondent", "weight"):
        if getattr(mapping, role) == name:
            return role
    if name == mapping.survey_type:
        return "survey_type"
    if name in mapping.dimensions:
        return "dimension"
    if name in mapping.items:
        return "item"
    return None
