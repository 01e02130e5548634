"""Convert RealTimeQA's retrieved news articles into the assistant's JSONL article format.

The dataset has no licence: it is read from ``../shared`` at run time and the converted file
goes to a scratch directory, never into the repository.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_DATASET = Path("../shared/datasets/realtimeqa_2024jan_sample")


def outlet(url: str) -> str:
    """The outlet of an article, from its url: ``https://www.cnn.com/...`` -> ``cnn.com``."""
    host = urlparse(url).hostname or "unknown"
    return host.removeprefix("www.")


def articles(dataset: Path) -> list[dict[str, object]]:
    """Unique (by url) articles of every ``*_gcs.jsonl`` file, in file order."""
    files = sorted(dataset.glob("*_gcs.jsonl"))
    if not files:
        raise SystemExit(f"no *_gcs.jsonl files in {dataset}; pass --dataset")
    seen: set[str] = set()
    out: list[dict[str, object]] = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            for result in json.loads(line)["search_result"]:
                url = result["url"]
                if url in seen or not result.get("text"):
                    continue
                seen.add(url)
                out.append(
                    {
                        "title": result.get("title") or url,
                        "text": result["text"],
                        "url": url,
                        "source": outlet(url),
                        "authors": result.get("authors") or [],
                        "publish_date": result.get("publish_date"),
                    }
                )
    return out


def benchmark_queries(dataset: Path, count: int) -> list[str]:
    """RealTimeQA's questions, then article titles, up to ``count`` distinct queries."""
    queries: list[str] = []
    for path in sorted(dataset.glob("*_qa.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                queries.append(str(json.loads(line)["question_sentence"]))
    seen = set(queries)
    for row in articles(dataset):
        if len(queries) >= count:
            break
        title = str(row["title"]).strip()
        if title and title not in seen:
            seen.add(title)
            queries.append(title)
    return queries[:count]


def write_corpus(dataset: Path, target: Path) -> int:
    """Write the articles as ``target/realtimeqa.jsonl``; returns how many."""
    rows = articles(dataset)
    target.mkdir(parents=True, exist_ok=True)
    with (target / "realtimeqa.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--out", type=Path, default=Path("data/scratch/realtimeqa"))
    args = parser.parse_args()
    print(f"{write_corpus(args.dataset, args.out)} articles written to {args.out}")


if __name__ == "__main__":
    main()
