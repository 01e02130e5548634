"""``python -m assistant doctor``: check that this machine can run the assistant, and say how
to fix what cannot.

Native code (llama.cpp) is only ever run in child processes here, so a build that uses a CPU
feature this machine lacks fails one check instead of killing the doctor.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.index.embedding import Embedder, build_embedder

MIN_FREE_MB = 500  # free space in data_dir below which ingest and conversations may fail
CPU_FLAGS = [
    "sse4_2", "avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512bw", "avx512_vnni",
    "avx_vnni", "amx_tile", "amx_int8", "amx_bf16",
]  # fmt: skip
# llama_print_system_info() names -> the /proc/cpuinfo flag the kernel needs (x86 only).
BUILD_NEEDS = {
    "SSE3": "pni", "SSSE3": "ssse3", "AVX": "avx", "AVX2": "avx2", "F16C": "f16c", "FMA": "fma",
    "BMI2": "bmi2", "AVX_VNNI": "avx_vnni", "AVX512": "avx512f", "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni", "AVX512_BF16": "avx512_bf16", "AMX_INT8": "amx_int8",
}  # fmt: skip
REBUILD = (
    "rebuild llama-cpp-python with portable flags: rm .venv/.installed-* and run scripts/bootstrap"
)
FLAGS_FILE = Path(sys.prefix) / ".llama-cpp-flags"  # written by scripts/bootstrap
_SYSTEM_INFO = (
    "import llama_cpp, sys; sys.stdout.write(llama_cpp.llama_print_system_info().decode())"
)
CHILD_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Check:
    """One line of the report: ``ok`` or a failure with what to do about it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        if self.ok:
            return f"ok   {self.name}  {self.detail}"
        return f"FAIL {self.name}  {self.detail} — fix: {self.fix}"


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str] | None:
    """The CPU flags the kernel enables (first ``flags`` line), or None off Linux/x86."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return None


def build_features() -> set[str]:
    """The CPU features the installed llama.cpp was compiled for ("AVX2 = 1"), read in a child
    process; raises ``subprocess.SubprocessError`` or ``OSError`` when that child fails."""
    done = subprocess.run(
        [sys.executable, "-c", _SYSTEM_INFO],
        capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=True,
    )  # fmt: skip
    return set(re.findall(r"([A-Z0-9_]+) = 1", done.stdout))


def check_python() -> Check:
    v = sys.version_info
    detail = f"{v.major}.{v.minor}.{v.micro} ({sys.executable})"
    if v < (3, 11):
        return Check(
            "python", False, detail, "use Python 3.11 or newer (PYTHON=... scripts/bootstrap)"
        )
    return Check("python", True, detail)


def check_cpu(flags: set[str] | None) -> Check:
    if flags is None:
        return Check("cpu", True, "no /proc/cpuinfo flags here; CPU features not checked")
    present = [f for f in CPU_FLAGS if f in flags]
    return Check("cpu", True, " ".join(present) or "none of the x86 SIMD features")


def check_build(flags: set[str] | None, flags_file: Path = FLAGS_FILE) -> Check:
    """Every kernel llama.cpp was built with must be one the CPU has; AMX never."""
    cmake = flags_file.read_text(encoding="utf-8").strip() if flags_file.is_file() else ""
    built = f"; built with CMAKE_ARGS={cmake!r}" if cmake else ""
    try:
        features = build_features()
    except subprocess.CalledProcessError as exc:
        why = _exit_words(exc.returncode)
        last = (exc.stderr or "").strip().splitlines()[-1:] or [""]
        detail = f"loading llama_cpp failed: {why} {last[0][:200]}{built}"
        return Check("llama-build", False, detail, REBUILD)
    except (subprocess.SubprocessError, OSError) as exc:
        return Check("llama-build", False, f"cannot read llama.cpp's system info: {exc}", REBUILD)
    uses = " ".join(sorted(f for f in features if f in BUILD_NEEDS)) or "no x86 SIMD features"
    detail = f"uses {uses}{built}"
    amx = sorted(f for f in features if f.startswith("AMX")) + re.findall(
        r"-DGGML_(AMX\w*)=ON", cmake
    )
    if amx:
        return Check(
            "llama-build", False, f"{detail}; AMX kernels are built in ({amx[0]})", REBUILD
        )
    if flags is not None:
        lacking = sorted(f for f in features if f in BUILD_NEEDS and BUILD_NEEDS[f] not in flags)
        if lacking:
            missing = ", ".join(lacking)
            return Check("llama-build", False, f"{detail}; this CPU lacks {missing}", REBUILD)
    return Check("llama-build", True, detail)


def check_model(settings: Settings) -> Check:
    """One token from the answer model (llama.cpp in a child process), or one server request."""
    llm = settings.llm
    if llm.provider == "extractive":  # the web chat still offers llama.cpp: probe that model
        llm = llm.model_copy(update={"provider": "llamacpp"})
    if llm.provider == "openai":
        return _check_openai(settings)
    from assistant.answer.llm_process import ModelProcess

    if llm.model and not _is_gguf(Path(llm.model)):
        return Check(
            "model", False, f"llm.model {llm.model} is not a GGUF file",
            "set llm.model to the path of a .gguf model, or leave it empty for the bundled one",
        )  # fmt: skip
    started = time.monotonic()
    try:
        model = ModelProcess(llm)
    except OSError as exc:
        return Check("model", False, f"cannot start the model process: {exc}", REBUILD)
    try:
        model.probe()
    except AssistantError as exc:
        fix = (
            REBUILD
            if "SIGILL" in str(exc)
            else ('check llm.model and the log above, or set llm.provider = "extractive"')
        )
        return Check("model", False, str(exc), fix)
    finally:
        model.close()
    took = time.monotonic() - started
    return Check("model", True, f"{model.name} wrote a token in a child process ({took:.1f} s)")


def _check_openai(settings: Settings) -> Check:
    import openai

    from assistant.openai_client import openai_client

    llm = settings.llm
    where = llm.base_url or "api.openai.com"
    try:
        client = openai_client("llm", llm.api_key_env, llm.base_url, llm.timeout_s, 0)
        names = [m.id for m in client.models.list()]
    except (AssistantError, openai.APIError) as exc:
        return Check(
            "model", False, f"the model server at {where} did not answer: {exc}",
            "start the server, or fix llm.base_url and the key in llm.api_key_env",
        )  # fmt: skip
    listed = "listed" if llm.model in names else "not in its list (it may still answer)"
    return Check(
        "model", True, f"server at {where} lists {len(names)} model(s); {llm.model} {listed}"
    )


def check_embedder(settings: Settings) -> tuple[Check, Embedder | None]:
    try:
        embedder = build_embedder(settings.embedding)
        vector = embedder.get_query_embedding("Is the embedder working?")
    except (AssistantError, OSError, RuntimeError, ValueError) as exc:
        fix = "reinstall the project (scripts/bootstrap), or fix the [embedding] settings"
        return Check("embedder", False, f"{settings.embedding.model}: {exc}", fix), None
    if len(vector) != embedder.dimension:
        why = f"{embedder.model_name} gave {len(vector)} numbers, not {embedder.dimension}"
        return Check("embedder", False, why, "fix embedding.model"), None
    return Check(
        "embedder", True, f"{embedder.model_name}, {embedder.dimension} dimensions"
    ), embedder


def check_index(settings: Settings, embedder: Embedder | None) -> Check:
    """Store (ready chunks), Chroma and BM25 hold the same number of chunks."""
    from assistant.index.handle import Index
    from assistant.index.keyword import KeywordIndex

    ingest = "run python -m assistant ingest"
    if not (settings.data_dir / "articles.sqlite3").is_file():
        return Check("index", False, f"no index in {settings.data_dir}", ingest)
    if embedder is None:
        return Check("index", False, "not checked: the embedder did not load", "fix the embedder")
    try:
        index = Index.open(settings, embedder)
        try:
            pending, ready = index.store.counts()
            vectors = index.vectors.count()
            bm25 = KeywordIndex.load_latest(index.bm25_dir, index.store.generation())
        finally:
            index.close()
    except (AssistantError, OSError) as exc:
        return Check("index", False, str(exc), ingest)
    keyword = len(bm25.ids) if bm25 is not None else None
    detail = f"{ready} chunks in the store, {vectors} in Chroma, {keyword} in BM25"
    if pending:
        return Check("index", False, f"{detail}; {pending} article(s) left pending", ingest)
    if ready == 0:
        return Check("index", False, f"{detail}; the index is empty", ingest + " with articles")
    if not ready == vectors == keyword:
        return Check("index", False, f"{detail}; they disagree", ingest + " (it repairs them)")
    return Check("index", True, detail)


def check_chroma_server(settings: Settings) -> Check:
    chroma = settings.chroma
    url = f"http://{chroma.host}:{chroma.port}/api/v2/heartbeat"
    try:
        httpx.get(url, timeout=10).raise_for_status()
    except httpx.HTTPError as exc:
        fix = "start it (chroma run --host ... --port ...), or unset chroma.host"
        return Check("chroma-server", False, f"{url}: {exc}", fix)
    return Check("chroma-server", True, f"{chroma.host}:{chroma.port} answers its heartbeat")


def check_disk(settings: Settings, minimum_mb: float = MIN_FREE_MB) -> Check:
    where = settings.data_dir.resolve()
    while not where.exists() and where != where.parent:
        where = where.parent  # data_dir is made by the first ingest
    free_mb = shutil.disk_usage(where).free / 1e6
    detail = f"{free_mb:,.0f} MB free in {where}"
    if free_mb < minimum_mb:
        return Check("disk", False, f"{detail} (under {minimum_mb:g} MB)", "free some disk space")
    return Check("disk", True, detail)


def run_checks(settings: Settings, report: Callable[[Check], None] | None = None) -> list[Check]:
    """Every check, in order; ``report`` sees each one as soon as it is done."""
    done: list[Check] = []

    def add(check: Check) -> None:
        done.append(check)
        if report is not None:
            report(check)

    flags = cpu_flags()
    add(check_python())
    add(check_cpu(flags))
    add(check_build(flags))  # the bundled model is offered whatever llm.provider says
    add(check_model(settings))
    embedder_check, embedder = check_embedder(settings)
    add(embedder_check)
    add(check_index(settings, embedder))
    if settings.chroma.host:
        add(check_chroma_server(settings))
    add(check_disk(settings))
    return done


def as_json(checks: list[Check]) -> list[dict[str, Any]]:
    return [asdict(c) for c in checks]


def _is_gguf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"GGUF"
    except OSError:
        return False


def _exit_words(code: int) -> str:
    from assistant.answer.llm_process import describe_exit

    return describe_exit(code)
