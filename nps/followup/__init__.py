"""Follow-up of responses: cases, deadlines, escalation, and the delivery of their notifications."""
