"""How far to trust a view: the caveats a reader must see next to the numbers (pure; no SQL).

Modules: :mod:`~nps.caveats.rules` (each caveat's rule, its thresholds and its sentence, from counts
the queries hand over), :mod:`~nps.caveats.raking` (raking weights to a population's margins, with
weightipy) and :mod:`~nps.caveats.columns` (which columns hold the country, the language, the store or
agent and the invitations, by documented name heuristics, each overridable).
:func:`nps.query.caveats.caveats` reads the data in view and calls them.
"""

from __future__ import annotations

from nps.caveats.rules import INFO, WARN, Caveat

__all__ = ["INFO", "WARN", "Caveat"]
