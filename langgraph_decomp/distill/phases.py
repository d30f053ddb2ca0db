"""Wall-clock seconds per phase of a distillation run (teacher, train, export, eval, ...),
as the run's result and model card report them."""

from __future__ import annotations

import time


class PhaseClock:
    """Seconds per phase: :meth:`lap` closes the phase that ran since the last lap (or since
    the clock was made), :meth:`total` adds the whole run as ``total``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = self._clock = time.perf_counter()

    def lap(self, phase: str) -> None:
        """Record the seconds since the last lap as ``phase``."""
        now = time.perf_counter()
        self.seconds[phase] = round(now - self._clock, 1)
        self._clock = now

    def total(self) -> dict[str, float]:
        """Record the seconds since the clock was made as ``total``; every phase so far."""
        self.seconds["total"] = round(time.perf_counter() - self._started, 1)
        return self.seconds

    def summary(self) -> str:
        """``seconds: teacher 1.2, train 3.4, ...`` for the run's log."""
        return "seconds: " + ", ".join(f"{k} {v}" for k, v in self.seconds.items())
