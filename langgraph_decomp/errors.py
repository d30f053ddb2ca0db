"""Typed errors raised by langgraph-decomp.

Everything the library raises on purpose derives from :class:`DecompError`, so a host
application can catch one class. Each error carries a message that says what to change.
"""

from __future__ import annotations

from typing import Any


class DecompError(Exception):
    """Base class of every error langgraph-decomp raises on purpose.

    Errors pickle with their fields (``role``, ``model``, ``usage``, ...), so they cross a
    process pool or a pickling checkpoint serializer as they were raised.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # BaseException's own reduce calls cls(*args), which the keyword-only fields of
        # the subclasses below refuse.
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type[DecompError], args: tuple[Any, ...],
             state: dict[str, Any]) -> DecompError:
    error = cls.__new__(cls, *args)  # BaseException.__new__ sets args
    error.__dict__.update(state)
    return error


class InvalidInputError(DecompError, ValueError):
    """The graph input or a :class:`~langgraph_decomp.Context` value is unusable (empty, not
    a string, too long, wrong type, out of range, unknown knob, ...).

    Raised before any model is loaded or called. ``field`` names the input key or
    ``Context`` field at fault, when there is one (``"question"``, ``"max_retries"``, ...).
    """

    def __init__(self, message: str, *, field: str | None = None):
        self.field = field
        super().__init__(message)


class ModelConfigError(DecompError, ValueError):
    """A model string or model option cannot be turned into a chat model.

    Examples: an unknown provider, a missing provider package, a local path that does not
    exist, a missing API key.
    """

    def __init__(self, message: str, *, role: str | None = None, model: str | None = None):
        self.role = role
        self.model = model
        super().__init__(message)


class ModelCallError(DecompError, RuntimeError):
    """A model call failed (endpoint unreachable, HTTP error, timeout, deadline, a reply cut
    at its token cap or by a dropped stream, ...).

    ``role`` is ``"decomposer"``, ``"solver"`` or ``"verifier"``; ``model`` is the model
    string (never an API key). The message is scrubbed of known secrets, and the error
    carries no ``__cause__`` or ``__context__``: the provider's own exception (which holds the
    request, its headers included) is never attached.

    ``usage`` holds the tokens the failed call spent where its reply reported them (a reply
    cut at its token cap is billed: ``{"input_tokens": ..., "output_tokens": ...}``), else
    ``None``.
    """

    def __init__(self, message: str, *, role: str, model: str,
                 usage: dict[str, int] | None = None):
        self.role = role
        self.model = model
        self.usage = usage
        super().__init__(message)
