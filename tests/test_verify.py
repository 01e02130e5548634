"""The support checker: what counts as support, and what is caught."""

import pytest

from assistant.answer.verify import SupportChecker
from assistant.index.embedding import Embedder
from assistant.ingest.text import content_words, names, numbers

ROME = (
    "White House envoy Steve Witkoff met on Friday with Iranian Foreign Minister Abbas Araghchi "
    "in Rome for the fifth round of nuclear talks."
)


@pytest.fixture(scope="module")
def checker(fake_embedder: Embedder) -> SupportChecker:
    """The verdicts below follow from coverage and anchors (similarity weighs 0.4 < 0.6), so
    hashed-word embeddings do; the real embedder's scores are measured by FaithBench."""
    return SupportChecker(fake_embedder, threshold=0.6)


@pytest.mark.parametrize(
    "claim",
    [
        "Witkoff met Araghchi in Rome.",
        "Steve Witkoff met the Iranian foreign minister in Rome on Friday.",
        "It was the fifth round of nuclear talks.",
    ],
)
def test_faithful_claims_are_supported(checker: SupportChecker, claim: str) -> None:
    assert checker.supported(checker.check(claim, [ROME]))


@pytest.mark.parametrize(
    ("claim", "missing"),
    [
        ("Witkoff met Araghchi in Paris.", "paris"),
        ("It was the sixth round of nuclear talks.", "6"),
        ("Witkoff did not meet Araghchi in Rome.", "(negation)"),
        ("Witkoff met the Oman envoy in Rome.", "oman"),  # not found inside "Romans"
    ],
)
def test_changed_facts_are_caught(checker: SupportChecker, claim: str, missing: str) -> None:
    evidence = ROME + " Romans welcomed them."
    support = checker.check(claim, [evidence])
    assert missing in support.missing
    assert not checker.supported(support)


def test_unrelated_and_empty() -> None:
    assert numbers("Two staff, 1,500 people and the fifth round") == {"2", "1500", "5"}
    assert names("Trump called Netanyahu. Noem met him in Jerusalem.") == {"netanyahu", "jerusalem"}
    assert content_words("The Prime Minister’s Office declined") == {
        "prime",
        "minist",
        "offic",
        "declin",
    }


def test_no_evidence_is_no_support(checker: SupportChecker) -> None:
    assert checker.check("Anything.", []).score == 0.0
    assert not checker.supported(checker.check("Bananas are yellow.", [ROME]))
