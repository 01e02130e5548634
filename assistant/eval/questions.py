"""Question rows: the shape of ``evals/questions.jsonl`` and of converted public benchmarks."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import AssistantError


class EvalDataError(AssistantError):
    """A question file or dataset is missing or malformed; the message names file and line."""


class GoldEvidence(BaseModel):
    """A gold evidence span: an exact quote (or offsets) in one article, or in any article."""

    model_config = ConfigDict(extra="forbid")

    article: str | None = Field(
        default=None, description="corpus path (corpus/<file>), url or article id; None = any"
    )
    quote: str | None = Field(default=None, min_length=1)
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _quote_or_offsets(self) -> GoldEvidence:
        if self.quote is None and (self.start is None or self.end is None or not self.article):
            raise ValueError("evidence needs a quote, or an article with start and end offsets")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("evidence end must be greater than start")
        return self


class Turn(BaseModel):
    """One earlier chat turn of a follow-up question."""

    model_config = ConfigDict(extra="forbid")

    role: str = Field(pattern="^(user|assistant)$")
    content: str = Field(min_length=1)


class QuestionRow(BaseModel):
    """One question with its gold answers and evidence."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answers: list[str] = Field(default_factory=list, description="gold answer aliases")
    evidence: list[GoldEvidence] = Field(default_factory=list)
    answerable: bool
    type: str = "factoid"
    history: list[Turn] = Field(default_factory=list)
    choices: list[str] = Field(
        default_factory=list, description="multiple choice: the answer is mapped to one of these"
    )
    false_answers: list[str] = Field(
        default_factory=list, description="planted false answers (counterfactual robustness)"
    )
    source: str | None = Field(default=None, description="restrict retrieval to this outlet")
    week: str | None = Field(
        default=None, description="the RealTimeQA week (YYYYMMDD) whose articles it is about"
    )

    @model_validator(mode="after")
    def _consistent(self) -> QuestionRow:
        if self.answerable and not self.answers:
            raise ValueError("an answerable question needs at least one gold answer")
        if not self.answerable and self.evidence:
            raise ValueError("an unanswerable question cannot have gold evidence")
        return self


def load_questions(path: Path) -> list[QuestionRow]:
    """Every row of a JSONL question file; a bad line is an error naming file and line."""
    if not path.is_file():
        raise EvalDataError(f"question file {path} does not exist; pass --questions FILE")
    rows: list[QuestionRow] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = QuestionRow.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            reason = " ".join(str(exc).split())[:300]
            raise EvalDataError(f"{path}:{number}: not a valid question row ({reason})") from exc
        if row.id in seen:
            raise EvalDataError(f"{path}:{number}: duplicate id {row.id!r}; ids must be unique")
        seen.add(row.id)
        rows.append(row)
    if not rows:
        raise EvalDataError(f"{path} has no questions")
    return rows


def select(rows: list[QuestionRow], only: list[str], limit: int | None) -> list[QuestionRow]:
    """Rows whose id matches one of ``only`` (fnmatch patterns), then the first ``limit``."""
    from fnmatch import fnmatchcase

    chosen = [r for r in rows if not only or any(fnmatchcase(r.id, p) for p in only)]
    if only and not chosen:
        raise EvalDataError(f"no question id matches {', '.join(only)}")
    return chosen[:limit] if limit is not None else chosen
