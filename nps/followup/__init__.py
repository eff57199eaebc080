"""Follow-up of responses: cases, deadlines, escalation, and the delivery of their notifications."""

from __future__ import annotations
