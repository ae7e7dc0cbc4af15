"""Refunds and cancellations: by the organizer, by the registrant, and from Stripe."""
