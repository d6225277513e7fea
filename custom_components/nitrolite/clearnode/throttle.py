"""Warnings a peer can provoke at will, logged sparingly."""

from __future__ import annotations

from collections.abc import Callable
import logging
import math
import time


class ThrottledWarning:
    """Log the first occurrence, then at most one summary per interval.

    Occurrences inside the interval are only counted (and logged at debug level); the
    first one after it is logged with how many were held back.
    """

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        *,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Warn on ``logger`` as "<what>: <detail>"."""
        self._logger = logger
        self._what = what
        self._interval = interval
        self._clock = clock
        self._logged_at = -math.inf
        self._held_back = 0

    def __call__(self, detail: str) -> None:
        """Report one occurrence."""
        now = self._clock()
        if now - self._logged_at < self._interval:
            self._held_back += 1
            self._logger.debug("%s: %s", self._what, detail)
            return
        if self._held_back:
            self._logger.warning(
                "%s: %s (and %d more in the last %d s)",
                self._what,
                detail,
                self._held_back,
                now - self._logged_at,
            )
        else:
            self._logger.warning("%s: %s", self._what, detail)
        self._logged_at, self._held_back = now, 0
