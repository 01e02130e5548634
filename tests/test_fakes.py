"""The fake embedder keeps the promises the unit tests rely on."""

import numpy as np

from tests.fakes import FakeEmbedder


def test_fake_embeddings_are_deterministic_unit_vectors_and_share_words() -> None:
    fake = FakeEmbedder()
    rome, paraphrase, storm, empty = np.array(
        fake.get_text_embedding_batch(
            [
                "Witkoff met Araghchi in Rome for talks.",
                "Talks in Rome: Araghchi meets Witkoff.",
                "A winter storm brought heavy snow.",
                "",
            ]
        )
    )
    assert fake.get_query_embedding("Witkoff met Araghchi in Rome for talks.") == list(rome)
    for vector in (rome, paraphrase, storm, empty):
        assert len(vector) == fake.dimension
        assert abs(np.linalg.norm(vector) - 1) < 1e-9
    assert rome @ paraphrase > 0.7 > 0.1 > rome @ storm  # 5 of 7 words shared; none


def test_fake_tokens_cut_long_words_like_a_subword_tokenizer() -> None:
    fake = FakeEmbedder()
    assert len(fake.tokenize("x" * 1500)) == 250
    assert len(fake.tokenize("Rome, Friday.")) == 4
    assert fake.tokenize("Rome") == fake.tokenize("Rome")
