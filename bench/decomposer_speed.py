"""Local decomposer speed: llama.cpp vs transformers on the same GGUF, side by side.

Each backend runs in its own fresh process (so resident memory and cold start are its own):

- ``raw-llamacpp``: ``llama_cpp.Llama.create_chat_completion`` on the embedded GGUF, the
  reference;
- ``raw-llamacpp+adapter``: the same with the shipped decomposer's LoRA adapter applied and
  its manifest's repeat penalty, as ``local:decomposer`` decodes;
- ``local:decomposer``: the default decomposer (shipped adapter, sha256 check, LangChain);
- ``llamacpp:smollm2``: the library's llama.cpp backend on the untrained base;
- ``local:smollm2``: the library's transformers backend (GGUF dequantized to fp32).

Reported per backend: cold start (process start to first reply), decode speed (output
tokens / wall time of a full decomposition, prompt included, best of ``--repeats`` distinct
questions), resident memory after the runs, and for transformers the questions/second of
batched plan generation (batch 1 vs ``--batch``) next to llama.cpp's one plan after
another (how ``generate_local_batch`` runs a ``llamacpp:`` model). Ratios are against the raw
llama.cpp run.

    python bench/decomposer_speed.py [--data ../shared/data/gsm8k/train.jsonl] [--tokens 64] \\
        [--repeats 3] [--batch 8]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

DATA = "../shared/data/gsm8k/train.jsonl"
"""The questions planned, read by path (never committed): the file's first five."""

BACKENDS = ("raw-llamacpp", "raw-llamacpp+adapter", "local:decomposer", "llamacpp:smollm2",
            "local:smollm2")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(backend: str, tokens: int, repeats: int, batch: int, t0: float, data: str) -> dict:
    """Run inside the fresh process: time the first reply, then the decode runs."""
    from langgraph_decomp.data import load_examples
    from langgraph_decomp.prompts import decompose_messages

    convs = [decompose_messages(e.question) for e in load_examples(data)[:5]]
    if backend.startswith("raw-llamacpp"):
        from llama_cpp import Llama

        from langgraph_decomp.models import (
            chat_dicts,
            embedded_gguf_path,
            shipped_adapter_path,
            shipped_repeat_penalty,
        )
        from langgraph_decomp.models.llamacpp import without_amx_weights

        n = os.cpu_count() or 1
        adapter = backend.endswith("+adapter")
        lora = str(shipped_adapter_path()) if adapter else None
        penalty = shipped_repeat_penalty() if adapter else 1.0
        with without_amx_weights():  # as the library loads it (AMX segfaults)
            llm = Llama(model_path=str(embedded_gguf_path()), lora_path=lora, n_ctx=4096,
                        n_threads=n, n_threads_batch=n, verbose=False)

        def ask(conv):
            llm.reset()  # as the library does: no prefix reuse between requests
            out = llm.create_chat_completion(chat_dicts(conv), max_tokens=tokens,
                                             temperature=0.0, repeat_penalty=penalty)
            return out["usage"]["completion_tokens"]
    else:
        from langgraph_decomp.models import load_chat_model

        model = load_chat_model(backend, max_tokens=tokens)
        model.cache = False  # time the model, not the reply cache

        def ask(conv):
            return model.invoke(conv).usage_metadata["output_tokens"]

    ask(convs[0])
    result = {"backend": backend, "cold_start_s": time.time() - t0}
    speeds = []
    for conv in convs[1 : 1 + repeats]:
        start = time.perf_counter()
        n_out = ask(conv)
        speeds.append(n_out / (time.perf_counter() - start))
    result["tok_per_s"] = max(speeds)
    if not backend.startswith("raw-llamacpp") and batch > 1:
        from langgraph_decomp.models import generate_local_batch

        work = (convs * ((batch // len(convs)) + 1))[:batch]
        # llama.cpp answers one plan after another; transformers also pads into batches.
        for size in (1, batch) if backend == "local:smollm2" else (1,):
            start = time.perf_counter()
            generate_local_batch(backend, work, max_tokens=tokens, batch_size=size)
            result[f"q_per_s_batch{size}"] = len(work) / (time.perf_counter() - start)
    result["rss_mib"] = _rss_mib()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--data", default=DATA, help=f"Questions to plan (default {DATA}).")
    parser.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--t0", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.tokens, args.repeats, args.batch, args.t0,
                               args.data)))
        return

    rows = []
    for backend in BACKENDS:
        cmd = [sys.executable, __file__, "--child", backend, "--t0", str(time.time()),
               "--tokens", str(args.tokens), "--repeats", str(args.repeats),
               "--batch", str(args.batch), "--data", args.data]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    raw = {r["backend"]: r["tok_per_s"] for r in rows}
    print(f"{os.cpu_count()} cores, max {args.tokens} new tokens, best of {args.repeats}; "
          "'vs raw': against raw llama.cpp on the same weights (base or base + adapter)")
    print(f"{'backend':<22}{'tok/s':>8}{'vs raw':>8}{'cold start s':>14}{'RSS MiB':>10}")
    for r in rows:
        adapter = r["backend"] in ("raw-llamacpp+adapter", "local:decomposer")
        ref = raw["raw-llamacpp+adapter" if adapter else "raw-llamacpp"]
        print(f"{r['backend']:<22}{r['tok_per_s']:>8.1f}{r['tok_per_s'] / ref:>8.2f}"
              f"{r['cold_start_s']:>14.1f}{r['rss_mib']:>10.0f}")
    tf, cpp = rows[-1], rows[3]
    if f"q_per_s_batch{args.batch}" in tf:
        b1, bn = tf["q_per_s_batch1"], tf[f"q_per_s_batch{args.batch}"]
        print(f"plans/s over {args.batch} plans: transformers batch 1 {b1:.2f}, "
              f"batch {args.batch} {bn:.2f} ({bn / b1:.2f}x); "
              f"llama.cpp one by one {cpp['q_per_s_batch1']:.2f} "
              f"({cpp['q_per_s_batch1'] / bn:.2f}x transformers batched)")


if __name__ == "__main__":
    main()
