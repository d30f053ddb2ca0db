"""Surfaces for agent stacks: subgraph, messages adapter, tool, per-run model swap, traces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.graph import START, MessagesState, StateGraph
from typing_extensions import TypedDict

from langgraph_decomp import as_tool, build_graph, messages_node
from tests.fake_openai import FakeOpenAIServer
from tests.fakes import ScriptedChat

PLAN = "1. How much is one pen?\n2. How much are 3 pens?"
QUESTION = "A pen costs 2 dollars. How much do 3 pens cost?"


STEPWISE = {"solve_scheme": "stepwise"}  # one solver call per sub-question


def scripted_graph(*, stepwise: bool = False, **kwargs: Any):
    """A graph with scripted models: the one-call schemes need one solver reply per call
    (``vote`` makes two when they agree), the stepwise scheme one per sub-question plus one
    for the question. The reply reads the same as a program (the default scheme computes
    its ``answer =`` line) and as chain of thought (its final-answer line)."""
    replies = ("Answer: 2", "2 * 3 = 6\nAnswer: 6") if stepwise else ()
    return build_graph(
        decomposer=ScriptedChat.of(PLAN),
        solver=ScriptedChat.of(*replies, *["2 * 3 = 6\nanswer = 2 * 3\nFinal answer: 6"] * 3),
        **kwargs,
    )


def test_compiled_graph_works_as_a_subgraph_node_with_its_public_schema():
    class Parent(TypedDict, total=False):
        question: str
        answer: str
        subquestions: list
        note: str

    parent = StateGraph(Parent)
    parent.add_node("reason", scripted_graph(stepwise=True))
    parent.add_edge(START, "reason")
    out = parent.compile().invoke(
        {"question": QUESTION, "note": "kept"}, context={"verify": False, **STEPWISE}
    )
    assert out["answer"] == "6" and out["note"] == "kept"
    assert [s["answer"] for s in out["subquestions"]] == ["2", "6"]
    assert "plan" not in out and "steps" not in out  # internal state stays inside


def test_messages_adapter_answers_the_last_human_message():
    parent = StateGraph(MessagesState)
    parent.add_node("reason", messages_node(scripted_graph(), context={"verify": False}))
    parent.add_edge(START, "reason")
    out = parent.compile().invoke(
        {"messages": [HumanMessage("hi"), AIMessage("hello"), HumanMessage(QUESTION)]}
    )
    reply = out["messages"][-1]
    assert isinstance(reply, AIMessage) and reply.content == "6"
    assert len(reply.additional_kwargs["decomposition"]["subquestions"]) == 2


def test_tool_has_a_clear_schema_and_returns_the_answer_with_an_artifact():
    tool = as_tool(scripted_graph(), context={"verify": False, "solve_scheme": "scaffold"})
    assert tool.name == "decompose_and_solve"
    assert set(tool.args) == {"question", "context"}
    msg = tool.invoke(
        {"type": "tool_call", "id": "c1", "name": tool.name, "args": {"question": QUESTION}}
    )
    assert isinstance(msg, ToolMessage) and "Final answer: 6" in msg.content
    assert msg.artifact["usage"]["solver"]["calls"] == 1  # scaffold: one call


def test_prebuilt_agent_calls_the_tool_in_a_real_round_trip():
    from langchain.agents import create_agent

    class ToolCallingFake(GenericFakeChatModel):
        def bind_tools(self, tools, **kwargs):  # the agent binds tools; the script decides
            return self

    model = ToolCallingFake(messages=iter([
        AIMessage("", tool_calls=[{"name": "decompose_and_solve", "id": "call_1",
                                   "args": {"question": QUESTION}}]),
        AIMessage("The pens cost 6 dollars."),
    ]))
    agent = create_agent(model, tools=[as_tool(scripted_graph(), context={"verify": False})])
    out = agent.invoke({"messages": [HumanMessage(QUESTION)]})
    tool_messages = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert len(tool_messages) == 1 and "Final answer: 6" in tool_messages[0].content
    assert out["messages"][-1].content == "The pens cost 6 dollars."


@pytest.mark.parametrize("via", ["context", "configurable"])
def test_one_compiled_graph_swaps_solver_per_run(via):
    graph = build_graph(decomposer=ScriptedChat.of("No decomposition", "No decomposition"))
    with FakeOpenAIServer("answer = 1") as a, FakeOpenAIServer("answer = 2") as b:
        answers = []
        for server, model in ((a, "openai:model-a"), (b, "openai:model-b")):
            knobs = {"solver": model, "base_url": server.base_url, "verify": False}
            if via == "context":
                out = graph.invoke({"question": QUESTION}, context=knobs)
            else:
                out = graph.invoke({"question": QUESTION}, {"configurable": knobs})
            answers.append(out["answer"])
        assert answers == ["1", "2"]
        assert [r["model"] for r in a.requests] == ["model-a"]
        assert [r["model"] for r in b.requests] == ["model-b"]


class RunRecorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.runs: list[dict[str, Any]] = []

        self.roots: list[dict[str, Any]] = []

    def on_chat_model_start(self, serialized, messages, *, tags=None, metadata=None, **kw):
        self.runs.append({"name": kw.get("name"), "tags": tags or [], "metadata": metadata or {}})

    def on_chain_start(self, serialized, inputs, *, parent_run_id=None, metadata=None, **kw):
        if parent_run_id is None:
            self.roots.append({"name": kw.get("name"), "metadata": metadata or {}})


@pytest.mark.parametrize(
    ("scheme", "solve_names"),
    [
        ("scaffold", ["solve[final]"]),
        ("guided", ["solve[final]"]),
        ("program", ["solve[final]"]),
        ("stepwise", ["solve[1]", "solve[2]", "solve[final]"]),
        ("vote", ["solve[final][one-stage]", "solve[final][scaffold]"]),  # they agree: 2 calls
    ],
)
def test_traces_carry_run_names_role_tags_and_model_metadata(scheme, solve_names):
    recorder = RunRecorder()
    graph = scripted_graph(
        stepwise=scheme == "stepwise", verifier=ScriptedChat.of("VERDICT: CORRECT")
    )
    graph.invoke(
        {"question": QUESTION}, {"callbacks": [recorder]},
        context={"solve_scheme": scheme, "verify": True},
    )
    names = [r["name"] for r in recorder.runs]
    assert names == ["decompose", *solve_names, "verify"]
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in names)  # the README names what runs emit
    roles = [next(t for t in r["tags"] if t.startswith("role:")) for r in recorder.runs]
    assert roles == ["role:decomposer"] + ["role:solver"] * len(solve_names) + ["role:verifier"]
    assert all(r["metadata"]["model"].startswith("ScriptedChat") for r in recorder.runs)
    assert all(r["metadata"]["langgraph_node"] in ("decompose", "solve", "verify")
               for r in recorder.runs)
    assert recorder.roots == [
        {"name": "langgraph-decomp", "metadata": {"ls_integration": "langgraph-decomp"}}
    ]


def test_solver_tokens_stream_in_messages_mode():
    graph = build_graph(
        decomposer=ScriptedChat.of("No decomposition"),
        solver=ScriptedChat.of("answer = 6"),
    )
    chunks = [
        (msg.content, meta.get("langgraph_node"))
        for msg, meta in graph.stream(
            {"question": QUESTION}, context={"verify": False}, stream_mode="messages"
        )
    ]
    solver_text = "".join(text for text, node in chunks if node == "solve")
    assert solver_text == "answer = 6"


def test_subgraph_tolerates_the_parents_own_context_object():
    from dataclasses import dataclass

    @dataclass
    class ParentContext:
        solver: int = 7  # same field name, foreign meaning: must not be used as a model
        user_id: str = "u1"

    class Parent(TypedDict, total=False):
        question: str
        answer: str

    parent = StateGraph(Parent, context_schema=ParentContext)
    parent.add_node("reason", scripted_graph(verifier=ScriptedChat.of("VERDICT: CORRECT")))
    parent.add_edge(START, "reason")
    out = parent.compile().invoke({"question": QUESTION}, context=ParentContext())
    assert out["answer"] == "6"


@pytest.mark.integration
def test_each_hosted_role_can_have_its_own_endpoint():
    with (
        FakeOpenAIServer(PLAN) as planner,
        FakeOpenAIServer("1. 2\n2. 2 * 3 = 6\nFinal answer: 6") as solver,
        FakeOpenAIServer("VERDICT: CORRECT\nFEEDBACK: none") as checker,
    ):
        out = build_graph().invoke({"question": QUESTION}, context={
            "decomposer": "openai:plan", "solver": "openai:solve", "verifier": "openai:check",
            "decomposer_base_url": planner.base_url, "solver_base_url": solver.base_url,
            "verifier_base_url": checker.base_url, "solve_scheme": "guided",
            "verify": True, "api_key": "sk-test",
        })
    assert out["answer"] == "6" and out["verified"] is True
    assert [r["model"] for r in planner.requests] == ["plan"]
    assert [r["model"] for r in solver.requests] == ["solve"]
    assert [r["model"] for r in checker.requests] == ["check"]


def test_the_verifier_follows_the_solvers_endpoint_unless_it_has_its_own():
    from langgraph_decomp import Context

    ctx = Context(base_url="http://a/v1", solver_base_url="http://b/v1")
    assert (ctx.endpoint("decomposer"), ctx.endpoint("solver"), ctx.endpoint("verifier")) == (
        "http://a/v1", "http://b/v1", "http://b/v1")
    own = Context(solver_base_url="http://b/v1", verifier="openai:v")
    assert own.endpoint("verifier") is None


def test_a_retrieval_parent_with_context_documents_feeds_the_graph_as_it_is():
    class Rag(TypedDict, total=False):
        question: str
        context: list[Document]
        answer: str
        subquestions: list

    solver = ScriptedChat.of("1. 2\n2. 2 * 3 = 6\nFinal answer: 6")
    parent = StateGraph(Rag)
    parent.add_node("reason", build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver))
    parent.add_edge(START, "reason")
    docs = [Document(page_content="Pens cost 2 dollars each."), Document(page_content="Sale.")]
    out = parent.compile().invoke({"question": QUESTION, "context": docs},
                                  context={"solve_scheme": "guided", "verify": False})
    assert out["answer"] == "6" and out["context"] == docs  # the parent's own list is kept
    assert "Context:\nPens cost 2 dollars each.\n\nSale.\n\n" in solver.prompts[0][-1].content
    assert [s["answer"] for s in out["subquestions"]] == ["2", "2 * 3 = 6"]
