"""An offline stand-in for Stripe, spoken to through the real Stripe SDK.

A development and test tool, standard library only. Product code never imports
it: it reaches the sandbox over HTTP through `payments.gateway` like any Stripe.
Only `django_mount` (included by `config/urls.py` when `STRIPE_SANDBOX` is on),
`python -m stripe_sandbox` and the tests know this package.

Layout, from the bottom up: `errors`, `encoding`, `store`, `objects` (ids and
shapes shared by several resources), `params`, `delivery` (webhook signing and
retries), `line_items`; `core` (clock, reading and rendering objects, list
pages); one module per Stripe resource (`events` with webhook endpoints,
`accounts`, `oauth`, `checkout`, `balance`, `payments` for PaymentIntents and
charges, `refunds`, `disputes`); `sandbox` (all of them together); `web`
(requests and responses), `pages` (HTML), `checkout_page`, `faults`,
`controls` (the `/_sandbox/` test controls) and `app` (the WSGI app and its
router); `server`, `__main__` and `django_mount` on top.
"""
