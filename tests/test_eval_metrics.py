"""The eval's own metric logic, on hand-made inputs with known answers."""

import pytest

from assistant.app import with_provider
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.eval.gate import deltas, failures, parse_thresholds
from assistant.eval.metrics import (
    average_precision,
    citation_scores,
    contains_alias,
    first_relevant_rank,
    normalise,
    percentile,
    pick_choice,
    token_f1,
)
from assistant.eval.results import QuestionResult, RunSummary, aggregate
from assistant.eval.settings import ensure_local


def test_normalised_containment_needs_whole_words() -> None:
    assert normalise("The  U.S.-Iran talks!") == "u s iran talks"
    assert contains_alias("They met in Rome, on Friday.", ["rome"])
    assert not contains_alias("twenty people", ["two"])
    assert not contains_alias("", ["Rome"])


def test_token_f1_matches_the_squad_definition() -> None:
    assert token_f1("Abbas Araghchi", "Araghchi") == pytest.approx(2 / 3)
    assert token_f1("the Rome talks", "Paris") == 0.0
    assert token_f1("Rome", "Rome") == 1.0


def test_choice_mapping_prefers_the_named_choice_then_f1() -> None:
    choices = ["Tsai Ing-wen", "Hou Yu-ih", "Lai Ching-te", "Ko Wen-je"]
    assert pick_choice("Lai Ching-te leads, ahead of Hou Yu-ih.", choices) == 2
    assert pick_choice("Vice president Lai is ahead", choices) == 2
    assert pick_choice("nothing relevant", choices) is None


def test_retrieval_ranks_and_average_precision() -> None:
    assert first_relevant_rank([False, False, True]) == 3
    assert first_relevant_rank([False] * 10 + [True]) is None
    # two gold spans, found at ranks 2 and 3: (1/2 + 1/3) / 2
    assert average_precision([set(), {0}, {0, 1}], 2) == pytest.approx((1 / 2 + 1 / 3) / 2)


def test_alce_citation_recall_and_precision() -> None:
    def entails(claim: str, spans: list[str]) -> bool:
        return all(word in " ".join(spans) for word in claim.split())

    sentences = [
        ("a b", ["a b", "zzz"]),  # entailed; "zzz" is not needed -> imprecise
        ("c", ["c"]),  # entailed, one citation -> precise
        ("d", ["x"]),  # not entailed -> its citation is imprecise
        ("e f", ["e", "f"]),  # each needed jointly -> both precise
    ]
    recall, precision = citation_scores(sentences, entails) or (0, 0)
    assert recall == pytest.approx(3 / 4)
    assert precision == pytest.approx(4 / 6)
    assert citation_scores([], entails) is None


def test_percentile_interpolates() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 50) is None


def _result(id: str, answerable: bool, **kw: object) -> QuestionResult:
    base: dict[str, object] = dict(
        config="c", id=id, type="t", question="q", answerable=answerable, answer="a",
        abstained=False, fallback=False, correct=None, f1=None, citations=1,
        valid_citations=1, sentences=1, supported_sentences=1, citation_recall=1.0,
        citation_precision=1.0, seconds=1.0, ttft=0.5,
    )  # fmt: skip
    return QuestionResult.model_validate(base | kw)


def test_aggregate_rates() -> None:
    rows = [
        _result("1", True, correct=True, f1=1.0, gold_rank=1, retrieval_scored=True, ap10=1.0),
        _result(
            "2",
            True,
            correct=False,
            f1=0.0,
            gold_rank=5,
            retrieval_scored=True,
            ap10=0.2,
            abstained=True,
            citations=0,
            valid_citations=0,
            sentences=0,
            supported_sentences=0,
            citation_recall=None,
            citation_precision=None,
        ),
        _result("3", False, abstained=True, citations=2, valid_citations=1, seconds=3.0),
        _result("4", False, supported_sentences=0, citation_recall=0.0, citation_precision=0.5),
    ]
    m = aggregate("c", "extractive", "none", rows).metrics
    assert m["accuracy"] == 0.5 and m["token_f1"] == 0.5
    assert (m["hits@1"], m["hits@4"], m["hits@10"]) == (0.5, 0.5, 1.0)
    assert m["mrr@10"] == pytest.approx((1 + 1 / 5) / 2)
    assert m["span_validity"] == pytest.approx(3 / 4)
    assert m["faithfulness"] == pytest.approx(2 / 3)
    assert m["citation_recall"] == pytest.approx(2 / 3)
    assert m["citation_precision"] == pytest.approx(2.5 / 3)
    assert m["abstain_rate"] == 0.5 and m["false_refusal_rate"] == 0.5
    assert m["latency_p50_s"] == 1.0 and m["misled_rate"] is None


def test_thresholds_and_deltas() -> None:
    assert parse_thresholds(["accuracy=0.8", "span_validity=1"]) == {
        "accuracy": 0.8, "span_validity": 1.0,
    }  # fmt: skip
    with pytest.raises(ConfigError, match="expected METRIC=VALUE"):
        parse_thresholds(["acuracy=0.8"])
    with pytest.raises(ConfigError, match="not a number"):
        parse_thresholds(["accuracy=high"])
    with pytest.raises(ConfigError, match="use --fail-over"):
        parse_thresholds(["latency_p95_s=10"])
    with pytest.raises(ConfigError, match="use --fail-under"):
        parse_thresholds(["accuracy=0.5"], "--fail-over")
    assert parse_thresholds(["misled_rate=0.2"], "--fail-over") == {"misled_rate": 0.2}
    now = aggregate("c", "extractive", "none", [_result("1", True, correct=True, f1=1.0)])
    run = RunSummary(created="t", dataset="d", questions=1, configs=[now])
    assert failures(run, {"accuracy": 0.9}) == []
    assert failures(run, {"accuracy": 1.1}) == ["c: accuracy = 1.0000 is below 1.1000"]
    assert "not measured" in failures(run, {"abstain_rate": 0.5})[0]
    assert failures(run, {}, {"latency_p50_s": 2.0}) == []
    assert failures(run, {}, {"latency_p50_s": 0.5}) == [
        "c: latency_p50_s = 1.0000 is above 0.5000"
    ]
    then = now.model_copy(update={"metrics": now.metrics | {"accuracy": 0.75}})
    base = RunSummary(created="t0", dataset="d", questions=1, configs=[then])
    change = {d.metric: d.change for d in deltas(run, base)}
    assert change["accuracy"] == pytest.approx(0.25)


def test_the_eval_refuses_non_local_endpoints() -> None:
    remote = with_provider(Settings(), "extractive").model_copy(
        update={"llm": Settings().llm.model_copy(update={"provider": "openai", "model": "m"})}
    )
    with pytest.raises(ConfigError, match="not local"):
        ensure_local("x", remote)
    local = remote.model_copy(
        update={"llm": remote.llm.model_copy(update={"base_url": "http://127.0.0.1:8080/v1"})}
    )
    ensure_local("x", local)
    with pytest.raises(ConfigError, match=r"needs llm\.model"):
        with_provider(Settings(), "openai")
