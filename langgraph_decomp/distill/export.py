"""Export a fine-tuned student to GGUF, so the fast ``llamacpp:`` backend can run it.

The student was dequantized from a GGUF file to be trained; that file still holds everything
llama.cpp needs besides the weights (architecture keys, tokenizer, chat template). The export
copies those keys with ``gguf``'s reader and writer and writes the trained weights under the
GGUF tensor names (``gguf``'s own HF → GGUF name map), quantized to ``Q8_0`` where the source
was quantized. Llama-family students only: llama.cpp stores their query/key projections with
the rotary halves interleaved, which transformers undoes on load and this redoes on export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph_decomp.errors import ModelConfigError

SUPPORTED_ARCHS = ("llama",)


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
    n_blocks = reader.get_field(f"{arch}.block_count").contents()
    n_head = reader.get_field(f"{arch}.attention.head_count").contents()
    n_kv = reader.get_field(f"{arch}.attention.head_count_kv").contents()
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
