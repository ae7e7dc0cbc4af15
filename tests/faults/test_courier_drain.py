"""The courier hands back each outcome as soon as the server answers.

While the last messages of a batch go out, each acceptance must reach the
caller (who records it) at once, not when the whole queue is done: a worker
killed meanwhile would otherwise send every accepted-but-unrecorded message
a second time.
"""

import time

from django.core.mail import EmailMessage

from registrations.emails.courier import Courier
from tests.registrations.smtp_sink import SmtpSink


def test_drain_yields_each_outcome_before_the_next_message_is_accepted(settings):
    with SmtpSink() as smtp:
        smtp.use(settings)
        smtp.handler.stall = {"slow@example.com": 1.5}
        outcomes = []
        with Courier(threaded=True) as courier:
            for n, address in enumerate(
                ["a@example.com", "b@example.com", "slow@example.com"]
            ):
                message = EmailMessage("Hi", "Body", "from@example.com", [address])
                courier.submit(n, courier.prepare(message))
            started = time.monotonic()
            for row, error in courier.drain():
                outcomes.append((row, error, time.monotonic() - started))
    assert [(row, error) for row, error, _t in outcomes] == [
        (0, None),
        (1, None),
        (2, None),
    ]
    # The first two came back while the third was still waiting on the server.
    assert outcomes[1][2] < 1.0 <= outcomes[2][2]
    assert smtp.handler.recipients == [
        "a@example.com",
        "b@example.com",
        "slow@example.com",
    ]


def test_drain_without_a_thread_returns_what_was_sent(settings):
    with SmtpSink() as smtp:
        smtp.use(settings)
        with Courier(threaded=False) as courier:
            message = EmailMessage("Hi", "Body", "from@example.com", ["a@example.com"])
            courier.submit("row", courier.prepare(message))
            assert list(courier.drain()) == [("row", None)]
            assert list(courier.drain()) == []
    assert smtp.handler.recipients == ["a@example.com"]
