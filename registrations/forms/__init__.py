"""Forms of the registrations app, by area."""
