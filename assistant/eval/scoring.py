"""Score one answer against its question row: accuracy, retrieval, citations, grounding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.chain import AnswerChain
from assistant.eval.metrics import (
    Entails,
    average_precision,
    best_f1,
    citation_scores,
    contains_alias,
    first_relevant_rank,
    normalise,
    pick_choice,
)
from assistant.eval.questions import QuestionRow
from assistant.eval.results import QuestionResult
from assistant.types import Answer, Hit


@dataclass(frozen=True)
class Gold:
    """A resolved gold span: the quote, in one stored article (or in any, when None)."""

    article_id: str | None
    quote: str


def answer_text(answer: Answer) -> str:
    """The answer's sentences without citation markers; empty when it abstained."""
    return "" if answer.abstained else " ".join(s.text for s in answer.sentences)


def gold_found(hits: Sequence[Hit], gold: Sequence[Gold]) -> list[set[int]]:
    """Per hit, the gold spans it contains (MultiHop-RAG: the gold text is inside the chunk)."""
    return [
        {
            i
            for i, g in enumerate(gold)
            if g.article_id in (None, h.article_id) and g.quote in h.text
        }
        for h in hits
    ]


def accuracy(row: QuestionRow, text: str) -> tuple[bool | None, float | None, int | None]:
    """(correct, token F1, chosen choice) of an answer text; None for unanswerable rows."""
    if not row.answerable:
        return None, None, None
    if row.choices:
        chosen = pick_choice(text, row.choices) if text else None
        correct = chosen is not None and row.choices[chosen] in row.answers
        return correct, best_f1(text, row.answers), chosen
    return contains_alias(text, row.answers), best_f1(text, row.answers), None


def score(
    row: QuestionRow, answer: Answer, hits: Sequence[Hit], gold: Sequence[Gold], chain: AnswerChain
) -> QuestionResult:
    """Every per-question figure; ``config``, ``seconds`` and ``ttft`` are filled by the runner."""
    text = answer_text(answer)
    correct, f1, chosen = accuracy(row, text)
    found = gold_found(hits, gold)
    checker = chain.checker

    def entails(claim: str, spans: list[str]) -> bool:
        return checker.supported(checker.check(claim, spans))

    quotes = {c.n: c.quote for c in answer.citations}
    cited = [(s.text, [quotes[n] for n in s.citations if n in quotes]) for s in answer.sentences]
    alce = citation_scores(cited, entails)
    return QuestionResult(
        config="", id=row.id, type=row.type, question=row.question, answerable=row.answerable,
        answer=answer.text, abstained=answer.abstained, fallback=answer.fallback,
        correct=correct, f1=f1, choice=chosen,
        misled=contains_alias(text, row.false_answers) if row.false_answers else None,
        gold_rank=first_relevant_rank([bool(f) for f in found]) if gold else None,
        ap10=average_precision(found, len(gold)) if gold else None,
        retrieval_scored=bool(gold), citations=len(answer.citations),
        valid_citations=valid_citations(answer, chain),
        sentences=len(answer.sentences),
        supported_sentences=sum(faithful(s, list(quotes.values()), entails) for s, _ in cited),
        citation_recall=alce[0] if alce else None, citation_precision=alce[1] if alce else None,
        seconds=0.0, ttft=0.0, short_answer=answer.short_answer.text if answer.short_answer else None,
        short_exact=short_exact(row, answer) if correct else None,
    )  # fmt: skip


def short_exact(row: QuestionRow, answer: Answer) -> bool | None:
    """Whether the short answer equals a gold alias after SQuAD normalisation; None without one."""
    if answer.short_answer is None:
        return None
    said = normalise(answer.short_answer.text)
    return any(said == normalise(a) for a in row.answers)


def valid_citations(answer: Answer, chain: AnswerChain) -> int:
    """Citations whose quote is exactly ``article_text[start:end]`` of the stored article."""
    valid = 0
    for c in answer.citations:
        article = chain.store.get(c.article_id)
        valid += article is not None and article.text[c.start : c.end] == c.quote
    return valid


def faithful(sentence: str, quotes: list[str], entails: Entails) -> bool:
    """Supported by some cited span of the answer, alone or all joined (see evals/README.md)."""
    if not quotes:
        return False
    return any(entails(sentence, [q]) for q in quotes) or entails(sentence, quotes)
