"""Export a fine-tuned student to GGUF, so the fast ``llamacpp:`` backend can run it.

The student was dequantized from a GGUF file to be trained; that file still holds everything
llama.cpp needs besides the weights (architecture keys, tokenizer, chat template). The export
copies those keys with ``gguf``'s reader and writer and writes the trained weights under the
GGUF tensor names (``gguf``'s own HF → GGUF name map), quantized to ``Q8_0`` where the source
was quantized. Llama-family students only: llama.cpp stores their query/key projections with
the rotary halves interleaved, which transformers undoes on load and this redoes on export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langgraph_decomp.errors import ModelConfigError

if TYPE_CHECKING:
    from gguf import GGUFReader

SUPPORTED_ARCHS = ("llama",)


def _metadata(reader: GGUFReader, key: str, path: str | Path) -> Any:
    """The value of ``key`` in a GGUF file's metadata."""
    field = reader.get_field(key)
    if field is None:
        raise ModelConfigError(f"{path} has no {key!r} metadata.")
    return field.contents()


def _rope_interleave(weights: Any, n_head: int) -> Any:
    """llama.cpp's layout for q/k projection rows (inverse of transformers' GGUF loader)."""
    rows = weights.shape[0]
    return (weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def export_gguf(hf_dir: str | Path, base_gguf: str | Path, out_path: str | Path,
                *, quantization: str = "Q8_0") -> Path:
    """Write the model in ``hf_dir`` as a GGUF file with ``base_gguf``'s metadata.

    ``base_gguf`` is the file the student was loaded from (same architecture and tokenizer);
    ``quantization`` is ``Q8_0`` (default), ``F16`` or ``F32`` for the tensors the base file
    stores quantized. Returns ``out_path``; load it with ``decomposer="llamacpp:<out_path>"``.
    """
    import gguf
    import numpy as np
    from safetensors.numpy import load_file

    qtype = {"Q8_0": gguf.GGMLQuantizationType.Q8_0, "F16": gguf.GGMLQuantizationType.F16,
             "F32": gguf.GGMLQuantizationType.F32}.get(quantization)
    if qtype is None:
        raise ModelConfigError(f"GGUF export supports Q8_0, F16 or F32, got {quantization!r}.")
    hf_dir, out_path = Path(hf_dir), Path(out_path)
    weights_file = hf_dir / "model.safetensors"
    if not weights_file.is_file():
        raise ModelConfigError(f"No model.safetensors in {hf_dir} to export.")
    reader = gguf.GGUFReader(base_gguf)
    arch_field = reader.get_field(gguf.Keys.General.ARCHITECTURE)
    arch = arch_field.contents() if arch_field else None
    if arch not in SUPPORTED_ARCHS:
        raise ModelConfigError(f"GGUF export supports {SUPPORTED_ARCHS} students, "
                               f"{base_gguf} is {arch!r}.")
    n_blocks = _metadata(reader, f"{arch}.block_count", base_gguf)
    n_head = _metadata(reader, f"{arch}.attention.head_count", base_gguf)
    n_kv = _metadata(reader, f"{arch}.attention.head_count_kv", base_gguf)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, n_blocks)

    trained: dict[str, Any] = {}
    for hf_name, array in load_file(str(weights_file)).items():
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is not None:
            trained[name] = array.astype(np.float32)

    file_type = {"Q8_0": gguf.LlamaFileType.MOSTLY_Q8_0, "F16": gguf.LlamaFileType.MOSTLY_F16,
                 "F32": gguf.LlamaFileType.ALL_F32}[quantization]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(out_path), arch)
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name == gguf.Keys.General.ARCHITECTURE:
            continue  # the writer adds these itself
        kind = gguf.GGUFValueType(field.types[0])
        value = file_type if field.name == gguf.Keys.General.FILE_TYPE else field.contents()
        sub = gguf.GGUFValueType(field.types[-1]) if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, value, kind, sub_type=sub)
    for tensor in reader.tensors:
        data = trained.get(tensor.name)
        if data is None:
            raise ModelConfigError(f"{hf_dir} has no weights for GGUF tensor {tensor.name!r}; "
                                   f"is it a fine-tune of {base_gguf}?")
        if ".attn_q." in tensor.name:
            data = _rope_interleave(data, n_head)
        elif ".attn_k." in tensor.name:
            data = _rope_interleave(data, n_kv)
        unquantized = (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16)
        if tensor.tensor_type in unquantized or qtype == gguf.GGMLQuantizationType.F32:
            writer.add_tensor(tensor.name, data)  # norms stay float32, as in the source
        else:
            writer.add_tensor(tensor.name, gguf.quants.quantize(data, qtype), raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out_path


BASE_MODEL_KEY = "langgraph_decomp.base_model"
"""GGUF key of a LoRA adapter file naming the model string it applies to
(``local:smollm2``), so ``llamacpp:<adapter.gguf>`` finds its base on its own."""


def export_lora_gguf(adapter_dir: str | Path, base_gguf: str | Path, out_path: str | Path,
                     *, base_model: str, dtype: str = "F16") -> Path:
    """Write a PEFT LoRA adapter as a llama.cpp adapter GGUF for ``base_gguf``.

    The adapter keeps PEFT's low-rank pair per projection under the base tensor's GGUF name
    (``blk.0.attn_q.weight.lora_a`` / ``.lora_b``, as llama.cpp's own converter writes
    them), ``adapter.lora.alpha`` for the scale, and the q/k rows of ``lora_b`` in
    llama.cpp's rotary layout. llama.cpp applies it to the (quantized) base at load:
    ``Llama(model_path=base, lora_path=out_path)``. ``dtype`` is ``F16`` or ``F32``.
    """
    import gguf
    import numpy as np
    from safetensors.numpy import load_file

    if dtype not in ("F16", "F32"):
        raise ModelConfigError(f"LoRA adapters export as F16 or F32, got {dtype!r}.")
    adapter_dir, out_path = Path(adapter_dir), Path(out_path)
    config_file, weights_file = (adapter_dir / "adapter_config.json",
                                 adapter_dir / "adapter_model.safetensors")
    if not config_file.is_file() or not weights_file.is_file():
        raise ModelConfigError(f"No PEFT adapter (adapter_config.json, "
                               f"adapter_model.safetensors) in {adapter_dir}.")
    config = json.loads(config_file.read_text())
    if config.get("use_rslora") or config.get("use_dora"):
        raise ModelConfigError("rsLoRA and DoRA adapters have no llama.cpp scale; train plain "
                               "LoRA.")
    reader = gguf.GGUFReader(base_gguf)
    arch_field = reader.get_field(gguf.Keys.General.ARCHITECTURE)
    arch = arch_field.contents() if arch_field else None
    if arch not in SUPPORTED_ARCHS:
        raise ModelConfigError(f"Adapter export supports {SUPPORTED_ARCHS} bases, "
                               f"{base_gguf} is {arch!r}.")
    n_blocks = _metadata(reader, f"{arch}.block_count", base_gguf)
    n_head = _metadata(reader, f"{arch}.attention.head_count", base_gguf)
    n_kv = _metadata(reader, f"{arch}.attention.head_count_kv", base_gguf)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, n_blocks)
    base_shapes = {t.name: tuple(int(n) for n in reversed(t.shape)) for t in reader.tensors}

    pairs: dict[str, dict[str, Any]] = {}
    for key, array in load_file(str(weights_file)).items():
        part = "a" if ".lora_A." in key else "b" if ".lora_B." in key else None
        if part is None:
            raise ModelConfigError(f"Unexpected adapter tensor {key!r}: only LoRA A/B pairs "
                                   "are exported (no trained embeddings or norms).")
        hf_name = key.removeprefix("base_model.model.").split(f".lora_{part.upper()}.")[0]
        name = names.get_name(hf_name + ".weight", try_suffixes=(".weight",))
        if name is None:
            raise ModelConfigError(f"Adapter tensor {key!r} has no GGUF name in {base_gguf}.")
        pairs.setdefault(name, {})[part] = array.astype(np.float32)

    out_path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(out_path), arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    writer.add_string(BASE_MODEL_KEY, base_model)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if dtype == "F16"
                         else gguf.LlamaFileType.ALL_F32)
    np_dtype = np.float16 if dtype == "F16" else np.float32
    for name in sorted(pairs):
        pair = pairs[name]
        if set(pair) != {"a", "b"}:
            raise ModelConfigError(f"Adapter for {name!r} lacks its lora_A or lora_B half.")
        lora_a, lora_b = pair["a"], pair["b"]  # (rank, in), (out, rank)
        gguf_name = name if name.endswith(".weight") else name + ".weight"
        expected = base_shapes.get(gguf_name)
        if expected != (lora_b.shape[0], lora_a.shape[1]):
            raise ModelConfigError(f"Adapter for {gguf_name!r} has shape "
                                   f"{(lora_b.shape[0], lora_a.shape[1])}, the base {expected}.")
        if ".attn_q." in gguf_name:
            lora_b = _rope_interleave(lora_b, n_head)
        elif ".attn_k." in gguf_name:
            lora_b = _rope_interleave(lora_b, n_kv)
        writer.add_tensor(gguf_name + ".lora_a", lora_a.astype(np_dtype))
        writer.add_tensor(gguf_name + ".lora_b", lora_b.astype(np_dtype))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out_path
