"""Follow-up conversations built from a question set: the same question asked standalone, as
the second turn after "Who is X?", and as the third turn after two turns about X.

A question that names a person X becomes "... he ..." / "... his ...", so answering it needs
the conversation; its gold answers and evidence stay those of the original. ``type`` tells
the three apart (``standalone``, ``followup-2``, ``followup-3``), and the report's per-type
accuracy compares them.
"""

from __future__ import annotations

import re

from assistant.eval.questions import QuestionRow, Turn
from assistant.ingest.entities import entities


def _pronoun(question: str, person: str) -> str:
    """``question`` with the first mention of ``person`` replaced by he / his."""
    possessive = re.compile(re.escape(person) + r"[’']s\b")
    if possessive.search(question):
        return possessive.sub("his", question, count=1)
    return question.replace(person, "he", 1)


def followups(rows: list[QuestionRow]) -> list[QuestionRow]:
    """Three rows per answerable, single-turn question that names a person."""
    chosen = [r for r in rows if r.answerable and not r.history]
    out: list[QuestionRow] = []
    for row, found in zip(chosen, entities([r.question for r in chosen]), strict=True):
        people = [
            e.text.removesuffix("’s").removesuffix("'s") for e in found if e.label == "PERSON"
        ]
        if not people:
            continue
        person = people[0]
        asked = _pronoun(row.question, person)
        two = [Turn(role="user", content=f"Who is {person}?")]
        three = [
            Turn(role="user", content=f"What do the articles say about {person}?"),
            Turn(role="user", content="Tell me more."),
        ]
        out += [
            row.model_copy(update={"id": f"{row.id}-alone", "type": "standalone"}),
            row.model_copy(update={"id": f"{row.id}-f2", "type": "followup-2", "question": asked,
                                   "history": two}),
            row.model_copy(update={"id": f"{row.id}-f3", "type": "followup-3", "question": asked,
                                   "history": three}),
        ]  # fmt: skip
    return out
