"""Questions in: validation, and turning a follow-up into a standalone question."""

from __future__ import annotations

import unicodedata

from assistant.answer.llm import ChatModel, Message
from assistant.answer.prompts import PromptLibrary
from assistant.errors import QuestionError


def validate(question: str, max_chars: int) -> str:
    """The question, trimmed; empty, over-long or control-character input is refused."""
    text = question.strip()
    if not text:
        raise QuestionError("the question is empty; ask something about the articles")
    if len(text) > max_chars:
        raise QuestionError(
            f"the question is {len(text)} characters long; the limit is {max_chars} "
            "(answer.max_question_chars)"
        )
    bad = sorted(
        {f"U+{ord(c):04X}" for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"}
    )
    if bad:
        raise QuestionError(
            f"the question contains control characters ({', '.join(bad)}); remove them"
        )
    return " ".join(text.split())


def standalone(
    question: str, history: list[Message], model: ChatModel | None, prompts: PromptLibrary
) -> str:
    """A question that makes sense without the conversation.

    With a model, the model rewrites it (prompt ``condense``); its rewrite is used only if it
    looks like a question of reasonable length. Otherwise the previous user question is
    prepended, which is what retrieval needs to resolve "that meeting" or "she".
    """
    previous = [m["content"] for m in history if m.get("role") == "user" and m.get("content")]
    if not previous:
        return question
    fallback = f"{previous[-1]} {question}"
    if model is None:
        return fallback
    transcript = "\n".join(f"{m['role']}: {m['content']}" for m in history[-6:])
    prompt = prompts.render("condense", history=transcript, question=question)
    rewrite = " ".join("".join(model.stream([{"role": "user", "content": prompt}])).split())
    if 8 <= len(rewrite) <= 3 * len(fallback) and rewrite.endswith("?"):
        return rewrite
    return fallback
