"""A single timer thread that runs callbacks at given times (the emulator's clock)."""
import heapq
import itertools
import logging
import threading
import time

LOG = logging.getLogger(__name__)


class Scheduler:
    """Run ``callback()`` at ``when`` (epoch seconds) on one background thread; clear() drops what is pending."""

    def __init__(self):
        self._queue = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="lab-ssm-scheduler", daemon=True)
        self._thread.start()

    def at(self, when, callback):
        with self._wake:
            heapq.heappush(self._queue, (when, next(self._order), callback))
            self._wake.notify()

    def clear(self):
        with self._wake:
            self._queue.clear()

    def close(self):
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout=5)

    def _next_due(self):
        """The next callback once it is due, or None when closed."""
        with self._wake:
            while not self._closed:
                if self._queue and self._queue[0][0] <= time.time():
                    return heapq.heappop(self._queue)[2]
                self._wake.wait(timeout=(self._queue[0][0] - time.time()) if self._queue else None)
            return None

    def _loop(self):
        while (callback := self._next_due()) is not None:
            try:
                callback()
            except Exception:  # pylint: disable=broad-exception-caught  # one bad callback must not stop the clock
                LOG.exception("SSM emulator callback failed")
