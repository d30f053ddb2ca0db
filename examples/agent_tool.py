"""The graph as a tool in langchain's prebuilt agent.

    python examples/agent_tool.py                      # scripted agent model, embedded solver
    OPENAI_API_KEY=... python examples/agent_tool.py openai:gpt-4o-mini
"""

import sys

from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage

from langgraph_decomp import as_tool

QUESTION = "A pen costs 2 dollars. How much do 3 pens cost?"
tool = as_tool(context={"max_subquestions": 3, "decomposer_max_tokens": 96})
print(tool.name, "|", tool.description[:60], "... | args:", list(tool.args))

if len(sys.argv) > 1:
    agent_model = sys.argv[1]  # a real tool-calling chat model
else:
    class ScriptedAgentModel(GenericFakeChatModel):
        """Stands in for a tool-calling chat model so the example runs offline."""

        def bind_tools(self, tools, **kwargs):
            return self

    agent_model = ScriptedAgentModel(messages=iter([
        AIMessage("", tool_calls=[{"name": tool.name, "id": "1", "args": {"question": QUESTION}}]),
        AIMessage("Done: see the tool's answer above."),
    ]))

agent = create_agent(agent_model, tools=[tool])
for message in agent.invoke({"messages": [HumanMessage(QUESTION)]})["messages"]:
    message.pretty_print()
