"""Emails: the outbox, its sender, what each email says, reminders."""
