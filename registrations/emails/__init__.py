"""Emails: the outbox, its sender, what each email says, reminders.

- ``outbox``: queue an email once (``queue_email``), organizer notices
  (``notify_organizer``), resends, email settings, unsubscribe.
- ``sending``: claim due rows, send them, the send task and ``kick_sender``.
- ``rows``: create a row once; record it sent, dropped, postponed or failed.
- ``courier``: one SMTP connection, optionally on a thread of its own.
- ``context``, ``content``, ``merge``: what an email says, rendered once, and
  bulk emails merged at the byte level; ``subjects``: its subject line.
- ``reminders``: reminders and follow-ups derived from sessions, and their tasks.
- ``calendar``: the .ics invitation (also served by the join page).
"""
