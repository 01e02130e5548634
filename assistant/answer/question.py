"""Questions in: validation, and turning a follow-up into a standalone question."""

from __future__ import annotations

import re
import unicodedata

from assistant.answer.llm import ChatModel, Message
from assistant.answer.prompts import PromptLibrary
from assistant.errors import QuestionError
from assistant.ingest.entities import answer_type, entities
from assistant.types import Answer


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
    looks like a question of reasonable length. Otherwise pronouns are resolved to the person
    of the earlier turns (``resolve``) and the previous user question is prepended, which is
    what retrieval needs for "that meeting" or "the two". A question that refers to nothing
    earlier ("Who is the council's treasurer?") is asked as it is: the previous question's
    words would only pull in its sentences.
    """
    previous = [m["content"] for m in history if m.get("role") == "user" and m.get("content")]
    if not previous or not refers_back(question):
        return question
    fallback = f"{previous[-1]} {resolve(question, history)}"
    if model is None:
        return fallback
    transcript = "\n".join(f"{m['role']}: {m['content']}" for m in history[-6:])
    prompt = prompts.render("condense", history=transcript, question=question)
    rewrite = " ".join("".join(model.stream([{"role": "user", "content": prompt}])).split())
    if 8 <= len(rewrite) <= 3 * len(fallback) and rewrite.endswith("?"):
        return rewrite
    return fallback


def turn(answer: Answer) -> list[Message]:
    """An answered question as two history messages. The short answer rides along: it is whom
    a follow-up's "she" means, where the answer's first new name may be someone else."""
    reply: Message = {"role": "assistant", "content": answer.text}
    if answer.short_answer is not None and not answer.abstained:
        reply["short_answer"] = answer.short_answer.text
    return [{"role": "user", "content": answer.question}, reply]


_PERSONAL = re.compile(r"\b(he|him|his|she|her|hers)\b", re.IGNORECASE)
_PLURAL = re.compile(r"\b(the two|both of them|both)\b", re.IGNORECASE)


# Besides the pronouns and "the two" that ``resolve`` replaces, words that point back at the
# conversation, and openings that continue the last question ("And when?", "What about Iran?").
_POINTING = re.compile(
    r"\b(it|its|they|them|their|theirs|this|that|these|those|there|then|the same|other|others|"
    r"else)\b|^\s*(and|but|also|so|what about|how about)\b",
    re.IGNORECASE,
)


def refers_back(question: str) -> bool:
    """Whether a question leans on the earlier turns: a word pointing back, or so short that
    it must ("Why?", "Since when?")."""
    return (
        any(p.search(question) for p in (_PERSONAL, _PLURAL, _POINTING))
        or len(question.split()) < 3
    )


def resolve(question: str, history: list[Message]) -> str:
    """``question`` with "he/his/she/her" replaced by the person the conversation is about, and
    "the two" by the two people last named; unchanged when no person is known.

    The person is the last answer's short answer, or else the first new person it named, when
    the last question asked "who"; else the first person of the last question; else the
    latest person named in any earlier turn."""
    if not _PERSONAL.search(question) and not _PLURAL.search(question):
        return question
    people = _people(history)
    if not people:
        return question

    def personal(match: re.Match[str]) -> str:
        word = match.group(1).casefold()
        rest = question[match.end() :].lstrip()
        possessive = word in ("his", "hers") or (word == "her" and rest[:1].isalpha())
        return f"{people[0]}'s" if possessive else people[0]

    resolved = _PERSONAL.sub(personal, question)
    if len(people) > 1:
        resolved = _PLURAL.sub(f"{people[0]} and {people[1]}", resolved)
    return resolved


def _people(history: list[Message]) -> list[str]:
    """People of the conversation, the most likely referent first (see ``resolve``)."""
    turns = [m for m in history if m.get("content")]
    found = entities([m["content"] for m in turns])
    persons = [[e.text for e in ents if e.label == "PERSON"] for ents in found]
    last_q = max((i for i, m in enumerate(turns) if m.get("role") == "user"), default=None)
    ordered: list[str] = []
    if last_q is not None:
        reply = turns[last_q + 1] if last_q + 1 < len(turns) else {}
        answer = persons[last_q + 1] if reply else []
        asked = persons[last_q]
        if answer_type(turns[last_q]["content"]) == "PERSON":
            # "Donald Trump" in the answer is the "Trump" of "Who did Trump warn?": not new.
            surnames = {_surname(p) for p in asked}
            ordered += [reply["short_answer"]] if reply.get("short_answer") else []
            ordered += [p for p in answer if _surname(p) not in surnames]
        ordered += asked + answer
    for names in reversed(persons):
        ordered += names
    return list(dict.fromkeys(ordered))


def _surname(name: str) -> str:
    return name.split()[-1].casefold() if name.split() else ""
