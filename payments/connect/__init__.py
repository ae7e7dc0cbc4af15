"""Stripe Connect: which connection sells a webinar, and linking or unlinking one.

An account either has one account-wide connection (only admins manage it) or one
connection per organizer (each organizer manages their own). Connecting goes
through Stripe's OAuth (`oauth`); disconnecting (`disconnect`) stops open
checkouts at Stripe first, then makes the webinars it sold free (prices are kept
for a later reconnection). `account_sync` stores what Stripe says of an account,
`handlers` feed it from webhooks, `notices` mail owners when sales pause.
"""
