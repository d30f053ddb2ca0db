"""Find a secret anywhere in an object graph: an exception's chain and attributes, stream
events, callback records, checkpoint storage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def find_secret(obj: Any, secret: str, *, max_depth: int = 12) -> list[str]:
    """Paths (``"__context__.response.request.headers"``, ...) under ``obj`` at which a string
    or bytes value holds ``secret``. Follows exceptions' ``args``, ``__cause__`` and
    ``__context__``, mappings, sequences and objects' attributes (``__dict__`` and slots),
    not traceback frames."""
    found: list[str] = []
    seen: set[int] = set()
    needle = secret.encode()

    def walk(value: Any, path: str, depth: int) -> None:
        if isinstance(value, str):
            if secret in value:
                found.append(path or "<root>")
            return
        if isinstance(value, (bytes, bytearray, memoryview)):
            if needle in bytes(value):
                found.append(path or "<root>")
            return
        if value is None or isinstance(value, (int, float, bool)) or depth > max_depth:
            return
        if id(value) in seen:
            return
        seen.add(id(value))
        if type(value).__name__ in ("frame", "traceback", "code", "module", "function"):
            return
        if hasattr(value, "get_secret_value"):  # a SecretStr keeps its secret on purpose
            return
        if isinstance(value, BaseException):
            walk(value.args, f"{path}.args", depth + 1)
            walk(value.__cause__, f"{path}.__cause__", depth + 1)
            walk(value.__context__, f"{path}.__context__", depth + 1)
            if secret in str(value) or secret in repr(value):
                found.append(f"{path}<str>")
        if isinstance(value, Mapping):
            for k, v in list(value.items()):
                walk(k, f"{path}[key]", depth + 1)
                walk(v, f"{path}[{k!r}]", depth + 1)
            return
        if isinstance(value, (list, tuple, set, frozenset)):
            for i, v in enumerate(list(value)):
                walk(v, f"{path}[{i}]", depth + 1)
            return
        items = getattr(value, "items", None)
        if callable(items) and type(value).__name__ == "Headers":  # httpx headers
            for k, v in list(items()):
                walk(v, f"{path}[{k!r}]", depth + 1)
        attrs = dict(getattr(value, "__dict__", {}) or {})
        for cls in type(value).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                if isinstance(slot, str) and hasattr(value, slot):
                    attrs.setdefault(slot, getattr(value, slot, None))
        for k, v in attrs.items():
            walk(v, f"{path}.{k}", depth + 1)

    walk(obj, "", 0)
    return found


def assert_no_secret(secret: str, **places: Any) -> None:
    """Fail naming every place (and path inside it) that holds ``secret``."""
    leaks = {name: paths for name, obj in places.items() if (paths := find_secret(obj, secret))}
    assert not leaks, f"secret found in {leaks}"
