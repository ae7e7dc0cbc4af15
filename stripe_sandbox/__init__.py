"""An offline stand-in for Stripe, spoken to through the real Stripe SDK.

A development and test tool, standard library only. Product code never imports
it: it reaches the sandbox over HTTP through `payments.gateway` like any Stripe.
Only `django_mount` (included by `config/urls.py` when `STRIPE_SANDBOX` is on),
`python -m stripe_sandbox` and the tests know this package.

Layout, from the bottom up: `errors`, `encoding`, `store`, `objects` (ids and
shapes shared by several resources), `params`, `delivery` (webhook signing and
retries); `core` (clock, reading and rendering objects, list pages); one module
per Stripe resource (`events`, `accounts`, `oauth`, `checkout`, `balance`,
`payments`, `refunds`, `disputes`); `sandbox` (all of them together);
`responses`, `faults`, `checkout_page`, `controls`, `app` (the WSGI app and
router); `server`, `__main__`, `django_mount`.
"""
