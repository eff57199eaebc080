"""Follow-up of responses: rules, deadlines, the case lifecycle, the sweep, the KPIs, the delivery of
notifications (:mod:`~nps.followup.notify`).

Modules: :mod:`~nps.followup.deadlines` (calendar and business hours, pure),
:mod:`~nps.followup.rules` (which responses open a case, the defaults), :mod:`~nps.followup.lifecycle`
(statuses and allowed moves, pure), :mod:`~nps.followup.casework` (people's changes: status, assign,
notes), :mod:`~nps.followup.sweep` (the time-based work), :mod:`~nps.followup.kpis`,
:mod:`~nps.followup.notices` (the messages enqueued). SQL lives in :mod:`nps.store.cases` (writes)
and :mod:`nps.query.followup` (reads).

The outbox agreement with delivery (``nps.followup.notify``): follow-up only ENQUEUES, in the
transaction of the change (:func:`nps.store.outbox.enqueue`). Per event worth a message (a new case
for its owner, an escalation for the next level's contact and the owner, a reminder for the owner
when 80% of the time to a deadline has passed, an assignment for the new owner) it enqueues one
``email`` message per recipient that is an e-mail address, and always one ``webhook`` message with
recipient NULL. Delivery sends e-mail when SMTP is configured, and posts webhook messages to
``PASSAPAROLA_WEBHOOK`` when it is set, dropping (marking as not to be sent) webhook messages when it
is not. Event keys: ``case:<id>:<event>:<recipient>`` and ``case:<id>:<event>:webhook``; the payload is
``{"event": ..., "case": {...the case's columns...}}``.
"""

from __future__ import annotations
