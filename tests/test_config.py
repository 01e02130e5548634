from pathlib import Path

import pytest

from assistant.config import load_settings, masked_settings
from assistant.errors import ConfigError


def test_toml_then_environment_with_nesting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text('data_dir = "/srv/x"\n[retrieval]\ntop_k = 7\ncandidates = 33\n')
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__TOP_K", "9")
    settings = load_settings(config)
    assert settings.retrieval.top_k == 9  # environment wins
    assert settings.retrieval.candidates == 33  # the file's other keys survive
    assert settings.data_dir == Path("/srv/x")


def test_committed_example_is_valid() -> None:
    example = Path(__file__).resolve().parent.parent / "assistant.example.toml"
    assert load_settings(example).embedding.provider == "onnx"


def test_wrong_setting_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_CHUNKING__CHUNK_TOKENS", "many")
    with pytest.raises(ConfigError, match="ASSISTANT_CHUNKING__CHUNK_TOKENS"):
        load_settings()


def test_a_bad_variable_without_a_config_file_names_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no assistant.toml here
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__TOP_K", "-1")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "set ASSISTANT_RETRIEVAL__TOP_K" in message and "assistant.toml" not in message


def test_unknown_key_and_bad_toml(tmp_path: Path) -> None:
    typo = tmp_path / "typo.toml"
    typo.write_text("[retrieval]\ntopk = 3\n")
    with pytest.raises(ConfigError, match=r"retrieval\.topk"):
        load_settings(typo)
    broken = tmp_path / "broken.toml"
    broken.write_text("data_dir = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")


def test_openai_embedding_needs_a_model_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDING__PROVIDER", "openai")
    with pytest.raises(ConfigError, match=r"embedding\.model"):
        load_settings()


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    shown = masked_settings(load_settings())
    assert "sk-secret-value" not in str(shown)
    assert shown["embedding"]["api_key"] == "***"


def test_a_config_path_that_is_a_folder_or_a_data_dir_that_is_a_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_settings(tmp_path)  # a directory: was an IsADirectoryError traceback
    afile = tmp_path / "notes.txt"
    afile.write_text("x")
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(afile))
    with pytest.raises(ConfigError, match=r"data_dir: .* is a file; give a directory"):
        load_settings()


def test_a_data_dir_that_cannot_be_made_says_so(tmp_path: Path) -> None:
    from assistant.errors import StoreError
    from assistant.index.lock import WriterLock

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match=r"cannot use .* as the data directory"):
        WriterLock.acquire(blocker / "data", "ingest")  # was a FileExistsError traceback
