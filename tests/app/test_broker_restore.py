"""A worker SIGKILLed inside kombu's restore scan must not stop the others restoring its work.

kombu (Redis transport) brings an unacknowledged message back once its visibility timeout has
passed, in a scan guarded by a Redis lock. A worker killed while holding that lock leaves it to
expire: 300 s by kombu's default, during which no live worker restores anything (a CI run met
it: a killed worker's chunk came back after the test's 120 s). Our broker options bound it.
Real Redis, real kombu, a real SIGKILL.
"""

from __future__ import annotations

import subprocess
import sys
import time

from kombu import Connection

from tests.app.conftest import broker_options

VISIBILITY_TIMEOUT_S = 5

# The dying worker: takes the message without acknowledging it, then the restore lock, exactly
# as kombu.transport.redis.Mutex takes it, and is killed holding both.
DYING_WORKER = """
import sys, time
from kombu import Connection
options = {options!r}
with Connection(sys.argv[1], transport_options=options) as connection:
    queue = connection.SimpleQueue("restore-check")
    queue.get(timeout=10)  # delivered, never acknowledged
    channel = connection.default_channel
    assert channel.client.lock(channel.unacked_mutex_key, timeout=channel.unacked_mutex_expire).acquire(blocking=False)
    print("holding", flush=True)
    time.sleep(600)
"""


def test_a_message_comes_back_although_a_killed_worker_held_the_restore_lock(private_redis) -> None:
    options = broker_options(VISIBILITY_TIMEOUT_S)
    with Connection(private_redis.url, transport_options=options) as connection:
        connection.SimpleQueue("restore-check").put({"chunk": [1, 11]})

    dying = subprocess.Popen(
        [sys.executable, "-c", DYING_WORKER.format(options=options), private_redis.url],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert dying.stdout is not None and dying.stdout.readline().strip() == "holding"
        delivered_at = time.monotonic()
    finally:
        dying.kill()  # SIGKILL: no shutdown handler returns the message or frees the lock
        dying.wait(timeout=10)

    with Connection(private_redis.url, transport_options=options) as connection:
        queue = connection.SimpleQueue("restore-check")
        deadline = delivered_at + 60
        message = None
        while message is None and time.monotonic() < deadline:
            try:
                message = queue.get(timeout=1)  # an empty poll runs kombu's restore scan
            except queue.Empty:
                continue
        assert message is not None, "the message never came back while the dead worker's lock stood"
        waited = time.monotonic() - delivered_at
        message.ack()
    assert message.payload == {"chunk": [1, 11]}
    # Back after the visibility timeout plus at most the lock's expiry (and a few polls), not 300 s.
    lock_expiry = options["unacked_mutex_expire"]
    assert VISIBILITY_TIMEOUT_S <= waited <= VISIBILITY_TIMEOUT_S + lock_expiry + 10, waited
