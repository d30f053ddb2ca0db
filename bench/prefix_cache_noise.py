"""Why a greedy llama.cpp server answers the same request differently during a long run.

llama-cpp-python (in process and behind ``llama_cpp.server``) keeps the previous request's
tokens and re-evaluates only the part of a new prompt after the longest shared prefix. The
KV cache of one prompt is then built from chunks of different sizes depending on what came
before it, and llama.cpp's CPU kernels do not give bit-identical results across chunk sizes.

This script teacher-forces GSM8K worked solutions after the solver's one-stage prompt and
compares the logits at every solution position in two histories: the prompt evaluated from
an empty cache, and the prompt evaluated after a request that shared its system prompt and
problem (what ``bench/scaling.py`` sends: one-stage, then the scaffold prompt for the same
problem). The same history twice must give identical logits (checked); a different history
moves them by the printed amount, enough to flip greedy choices near ties.

    python bench/prefix_cache_noise.py --data ../shared/data/gsm8k_socratic/dev.jsonl \\
        --model ~/.cache/standin-solver/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf --n 3
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from llama_cpp import Llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from langgraph_decomp import prompts
from langgraph_decomp.models.llamacpp import without_amx_weights


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="JSONL with 'question' and 'answer'")
    parser.add_argument("--model", required=True, help="GGUF file of the solver")
    parser.add_argument("--n", type=int, default=3, help="questions")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    rows = [json.loads(line) for line in Path(args.data).read_text().splitlines()[: args.n]]
    with without_amx_weights():  # AMX weight layouts segfault on some Xeons
        llm = Llama(model_path=str(Path(args.model).expanduser()), n_ctx=4096,
                    n_threads=args.threads, n_threads_batch=args.threads, logits_all=True,
                    verbose=False)
    chat = Jinja2ChatFormatter(template=llm.metadata["tokenizer.chat_template"],
                               eos_token="<|im_end|>", bos_token="")

    def tokens(question: str, hints: str = "", completion: str = "") -> list[int]:
        block = prompts.SCAFFOLD_BLOCK.format(hints=hints) if hints else ""
        user = prompts.FINAL_USER.format(context_block="", question=question,
                                         previous_block=block, feedback_block="")
        text = chat(messages=[{"role": "system", "content": prompts.FINAL_SYSTEM},
                              {"role": "user", "content": user}]).prompt
        return llm.tokenize((text + completion).encode(), add_bos=False, special=True)

    def logits(seq: list[int], previous: list[int] | None) -> np.ndarray:
        """Logits over ``seq`` with ``previous`` in the cache, reused as llama-cpp-python does."""
        llm.reset()
        shared = 0
        if previous:
            llm.eval(previous)
            while shared < min(len(previous), len(seq)) - 1 and previous[shared] == seq[shared]:
                shared += 1
            llm._ctx.kv_cache_seq_rm(-1, shared, -1)
            llm.n_tokens = shared
        llm.eval(seq[shared:])
        return np.array(llm.scores[: len(seq)])

    flips = positions = 0
    largest = 0.0
    started = time.perf_counter()
    for i, row in enumerate(rows):
        seq = tokens(row["question"], completion=row["answer"])
        start = len(tokens(row["question"]))
        fresh = logits(seq, None)[start - 1 : -1]
        if not np.array_equal(fresh, logits(seq, None)[start - 1 : -1]):
            raise SystemExit("the same history gave different logits: not a cache effect")
        previous = tokens(row["question"], hints="1. What is asked?")
        after = logits(seq, previous)[start - 1 : -1]
        diff = float(np.abs(fresh - after).max())
        flipped = int((fresh.argmax(1) != after.argmax(1)).sum())
        flips, positions, largest = flips + flipped, positions + len(fresh), max(largest, diff)
        print(f"{i}: {len(fresh)} positions, max |logit change| {diff:.3f}, greedy choice "
              f"changed at {flipped} ({time.perf_counter() - started:.0f} s)", flush=True)
    print(f"{len(rows)} questions, {positions} positions: same history -> identical logits; "
          f"shared-prefix history -> max |logit change| {largest:.3f}, greedy choice changed "
          f"at {flips} positions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
