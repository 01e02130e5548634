"""What a question asks for: its answer type, its focus words, and the short answer's choice."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from assistant.answer.evidence import Evidence, EvidenceRanker, short_answer
from assistant.answer.features import can_answer, question_info
from assistant.answer.llm import Message
from assistant.config import EvidenceSettings
from assistant.index.embedding import Embedder
from assistant.index.sentences import SentenceCache
from assistant.ingest.entities import Entity, answer_type, question_focus
from assistant.types import Hit


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Which hockey team won the Stanley Cup Final this week?", "ORG"),
        ("Which tennis player won his second US Open title?", "PERSON"),
        ("The acting head of which government agency resigned?", "ORG"),
        ("Which African country was hit with the toughest tariff?", "PLACE"),
        ("What did the city council decide?", "OTHER"),  # "did" is no modifier of "city"
        ("How many people were killed?", "NUMBER"),
        ("What did Trump tell Netanyahu?", "OTHER"),
    ],
)
def test_answer_type_reads_the_noun_after_which(question: str, kind: str) -> None:
    assert answer_type(question) == kind


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("What is Ron Dermer's position?", ["position"]),
        ("Who is the head of Mossad?", ["head"]),
        ("Which TV network did Noem speak to on Monday?", ["network"]),
        ("Where did Witkoff meet Araghchi?", []),
        ("Who is the CIA Director?", []),  # a proper noun: the sentence names it too
    ],
)
def test_focus_words_name_the_kind_of_thing_asked_for(question: str, focus: list[str]) -> None:
    assert question_focus(question) == focus


def test_focus_and_meta_words_leave_the_overlap_weights() -> None:
    q = question_info("What is Ron Dermer's position?")
    assert set(q.weights) == {"ron", "dermer"}
    assert set(q.focus) == {"posit"}
    assert set(question_info("Who is the CIA Director mentioned in the article?").weights) == {
        "cia",
        "director",
    }


@pytest.mark.parametrize(
    "question",
    [
        "What is Ron Dermer's position?", "Who is the Mossad chief?", "Which city hosted it?",
        "How many Israeli embassy staff were killed in 2025?", "Qu'a dit le porte-parole ?",
        "What did the U.S. envoy's co-author say about the 50% tariff?", "Why?", "",
    ],
)  # fmt: skip
def test_every_word_weighed_has_its_prefix(question: str) -> None:
    """The distance features find a question word by its stem or its first letters; they
    look both up for every stem weighed or taken as focus."""
    q = question_info(question)
    assert q.weights.keys() | q.focus.keys() <= q.prefixes.keys()


def test_a_question_in_an_article_is_never_evidence() -> None:
    assert not can_answer("The vice president?")
    assert not can_answer("Hi.")
    assert can_answer("The vice president spoke on Monday.")


def _evidence(text: str, entities: tuple[Entity, ...]) -> Evidence:
    hit = Hit(
        chunk_id="a:0", article_id="a", text=text, start=0, end=len(text), score=1.0,
        title="", source=None, published=None, url=None, sentences=[(0, len(text))],
    )  # fmt: skip
    return Evidence(n=1, hit=hit, start=0, end=len(text), text=text, relevance=0.9,
                    entities=entities)  # fmt: skip


def test_the_short_answer_is_the_typed_entity_nearest_the_question_words() -> None:
    text = "Steve Witkoff met Iranian Foreign Minister Abbas Araghchi in Rome."
    people = (Entity("Steve Witkoff", "PERSON", 0, 13), Entity("Abbas Araghchi", "PERSON", 43, 57))
    found = short_answer("Who is Iran's foreign minister?", _evidence(text, people))
    assert found is not None and found.text == "Abbas Araghchi"
    assert text[found.start : found.end] == "Abbas Araghchi"


def test_the_short_answer_is_not_the_person_the_question_names() -> None:
    text = "US President Donald Trump warned Israeli Prime Minister Benjamin Netanyahu."
    people = (
        Entity("Donald Trump", "PERSON", 13, 25),
        Entity("Benjamin Netanyahu", "PERSON", 56, 74),
    )
    found = short_answer("Who did Trump warn?", _evidence(text, people))
    assert found is not None and found.text == "Benjamin Netanyahu"


def test_a_question_about_a_name_has_no_entity_for_short_answer() -> None:
    text = "Netanyahu's close associate, Strategic Affairs Minister Ron Dermer, arrived."
    people = (Entity("Netanyahu", "PERSON", 0, 9), Entity("Ron Dermer", "PERSON", 56, 66))
    assert short_answer("Who is Ron Dermer?", _evidence(text, people)) is None
    # A question that names a post, not a person, still gets its person.
    found = short_answer("Who is Netanyahu's close associate?", _evidence(text, people))
    assert found is not None and found.text == "Ron Dermer"


@pytest.mark.parametrize(
    ("relevances", "limit", "quoted"),
    [
        ([0.9, 0.8, 0.6, 0.5], 3, [0.9, 0.8, 0.6]),  # 0.5 < 0.6 x 0.9
        ([0.9, 0.8, 0.6, 0.5], 2, [0.9, 0.8]),  # at most quote_sentences
        ([0.9, 0.3, 0.3], 3, [0.9]),  # far below the best
        ([0.3, 0.25, 0.19], 3, [0.3, 0.25]),  # 0.19 is below the threshold (0.2)
    ],
)
def test_the_quote_adds_sentences_nearly_as_likely_as_the_best(
    relevances: list[float], limit: int, quoted: list[float], fake_embedder: Embedder,
    tmp_path: Path,
) -> None:  # fmt: skip
    settings = EvidenceSettings(threshold=0.2, quote_sentences=limit, quote_ratio=0.6)
    cache = SentenceCache(tmp_path / "sentences.sqlite3", fake_embedder, "fake")
    ranker = EvidenceRanker(settings, fake_embedder, cache)
    base = _evidence("The harbour reopened on Monday.", ())
    evidence = [replace(base, n=i + 1, relevance=r) for i, r in enumerate(relevances)]
    assert [e.relevance for e in ranker.quoted(evidence, "What reopened?")] == quoted
    cache.close()


def _two_sentences(first: str, second: str) -> Evidence:
    """The second sentence of a two-sentence article, as the best evidence."""
    text = f"{first} {second}"
    start = len(first) + 1
    hit = Hit(
        chunk_id="a:0", article_id="a", text=text, start=0, end=len(text), score=1.0,
        title="", source=None, published=None, url=None,
        sentences=[(0, len(first)), (start, len(text))],
    )  # fmt: skip
    return Evidence(n=1, hit=hit, start=start, end=len(text), text=second, relevance=0.9,
                    context=first)  # fmt: skip


@pytest.mark.parametrize(
    ("question", "second", "quotes_before"),
    [
        ("Who said the talks will not drag on?", "According to her, the talks will not drag on.",
         True),
        ("Who said the talks will not drag on?", "The talks will not drag on, she said.", True),
        # The sentence names no speaker by pronoun: it answers as it is.
        ("Who said the talks will not drag on?", "The talks will not drag on for months.", False),
        # Not a question about who said it.
        ("What will not drag on?", "According to her, the talks will not drag on.", False),
    ],
)  # fmt: skip
def test_a_pronoun_speaker_is_quoted_with_the_sentence_that_names_her(
    question: str, second: str, quotes_before: bool, fake_embedder: Embedder, tmp_path: Path
) -> None:
    cache = SentenceCache(tmp_path / "sentences.sqlite3", fake_embedder, "fake")
    ranker = EvidenceRanker(EvidenceSettings(threshold=0.2), fake_embedder, cache)
    best = _two_sentences(
        "Homeland Security Secretary Kristi Noem met the envoy on Sunday.", second
    )
    quoted = ranker.quoted([best], question)
    assert [e.text for e in quoted][-1] == second
    assert len(quoted) == (2 if quotes_before else 1)
    if quotes_before:
        before = quoted[0]
        assert best.hit.text[before.start : before.end] == before.text  # an exact span
        found = short_answer(question, before)
        assert found is not None and found.text == "Kristi Noem"
        off = EvidenceRanker(
            EvidenceSettings(threshold=0.2, antecedent=False), fake_embedder, cache
        )
        assert off.quoted([best], question) == [best]
    cache.close()


def test_his_is_the_person_the_last_answer_named_not_the_one_asked_about() -> None:
    from assistant.answer.question import resolve

    history: list[Message] = [
        {"role": "user", "content": "Who did Trump warn?"},
        {"role": "assistant", "content": "US President Donald Trump warned Israeli Prime "
         "Minister Benjamin Netanyahu against taking steps that could harm the talks.[1]"},
    ]  # fmt: skip
    # "Donald Trump" is the "Trump" of the question, so the new person is Netanyahu.
    assert resolve("What is his job?", history) == "What is Benjamin Netanyahu's job?"


def test_her_is_the_short_answer_of_the_last_answer() -> None:
    from assistant.answer.question import resolve, turn
    from assistant.types import Answer, ShortAnswer

    text = ("President Donald Trump's spokesperson, Karoline Leavitt, said the talks would go "
            "on.[1]")  # fmt: skip
    start = text.index("Karoline")
    answer = Answer(
        question="Who is the White House spokesperson?", standalone_question="", text=text,
        sentences=[], citations=[], abstained=False, provider="extractive", model="",
        short_answer=ShortAnswer(text="Karoline Leavitt", n=1, start=start, end=start + 16),
    )  # fmt: skip
    history = turn(answer)
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert resolve("What is her job?", history) == "What is Karoline Leavitt's job?"
    # Without the short answer the first new person of the text was taken: Trump.
    bare = [{k: v for k, v in m.items() if k != "short_answer"} for m in history]
    assert resolve("What is her job?", bare) == "What is Donald Trump's job?"


@pytest.mark.parametrize(
    "question", ["What is Ron Dermer's job?", "What position does Ron Dermer hold?"]
)
def test_a_question_about_a_post_has_no_entity_for_short_answer(question: str) -> None:
    # The answer is the title ("Strategic Affairs Minister"), which no entity label covers;
    # the other person of the sentence would be a wrong short answer.
    text = "Netanyahu's close associate, Strategic Affairs Minister Ron Dermer, arrived."
    people = (Entity("Netanyahu", "PERSON", 0, 9), Entity("Ron Dermer", "PERSON", 56, 66))
    assert short_answer(question, _evidence(text, people)) is None


def test_the_pronoun_stands_for_the_subject_of_the_sentence_before(
    fake_embedder: Embedder, tmp_path: Path
) -> None:
    # The small NER calls this "Noem" an ORG, and Netanyahu is the sentence's first person:
    # the speaker is the subject all the same.
    cache = SentenceCache(tmp_path / "sentences.sqlite3", fake_embedder, "fake")
    ranker = EvidenceRanker(EvidenceSettings(threshold=0.2), fake_embedder, cache)
    best = _two_sentences(
        "Noem told Fox News on Monday that she had an open conversation with Netanyahu.",
        "According to her, the talks will not drag on.",
    )
    before = ranker.quoted([best], "Who said the talks will not drag on?")[0]
    found = short_answer("Who said the talks will not drag on?", before)
    assert found is not None and found.text == "Noem"
    cache.close()


def test_a_question_for_no_type_of_entity_has_no_short_answer() -> None:
    # What someone said or did is a clause; the sentence's entity would be a wrong answer.
    text = "Homeland Security Secretary Kristi Noem told Netanyahu: give us a week."
    found = (Entity("Homeland Security", "ORG", 0, 17), Entity("Kristi Noem", "PERSON", 28, 39))
    assert short_answer("What did Noem tell Netanyahu?", _evidence(text, found)) is None
    assert short_answer("Who told Netanyahu?", _evidence(text, found)) is not None


def test_the_short_answer_is_the_name_beside_the_word_for_what_is_asked() -> None:
    # Both names touch a question word ("US"); the one beside "envoy" answers.
    text = "They met Vice President JD Vance, US Special Envoy Steve Witkoff and others."
    people = (Entity("JD Vance", "PERSON", 24, 32), Entity("Steve Witkoff", "PERSON", 51, 64))
    assert text[24:32] == "JD Vance" and text[51:64] == "Steve Witkoff"
    found = short_answer("Who is the US special envoy?", _evidence(text, people))
    assert found is not None and found.text == "Steve Witkoff"
