"""Views of the registrations app, by area."""
