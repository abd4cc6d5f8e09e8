"""The fleet report: a :class:`ModelResult` per model and the :class:`FleetReport` over them, as
``fleet.json``, ``fleet.csv`` and ``fleet.html`` (sortable table, failure classes counted); model
text passes :func:`~explorer.reporting.html.esc` in HTML, :func:`~explorer.errors.plain` else."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from explorer.errors import plain
from explorer.output_policy import write_file
from explorer.reporting.html import esc

STATUSES = ("migrated", "refused", "failed", "timed out", "crashed")
SKIPPED = "skipped (unchanged)"
FILES = ("fleet.json", "fleet.csv", "fleet.html")
_HEAD = ("root", "out_dir", "seconds", "workers", "scheduler")  # FleetReport's fields in JSON


@dataclass
class ModelResult:
    """What ``migrate`` did with one model: ``status`` (one of :data:`STATUSES`), the tensors
    ``proved`` (signature -> ``{"outputs", "inputs"}``), its one-line ``cause`` and exit code."""

    model: str
    name: str
    status: str
    seconds: float = 0.0
    exit_code: int | None = None
    cause: str = ""
    proved: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    fingerprint: str = ""
    skipped: bool = False

    @property
    def cause_class(self) -> str:
        """The cause with its names, paths and numbers masked: models failing alike share it."""
        if self.status in ("migrated", "timed out"):
            return "" if self.status == "migrated" else "timed out"
        text = re.sub(r"'[^']*'|\"[^\"]*\"|\S*[/=]\S*|\S+:\d\S*|\d[\d.,]*", "…", self.cause)
        return f"{self.status}: {' '.join(text.split()[:8])}"

    def proved_text(self) -> str:
        return "; ".join(", ".join(io["outputs"]) for io in self.proved.values())

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "cause_class": self.cause_class}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelResult:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


def parity_cause(data: dict[str, Any]) -> str:
    """One line for ``migrate --json`` output whose parity did not pass: the status, the first
    output not passed and its reason (the way on), how many more."""
    bad = [
        (key, out)
        for sig in (data.get("signatures") or {}).values()
        for key, out in (sig.get("outputs") or {}).items()
        if out.get("status") != "passed"
    ]
    said = f"parity {data.get('status', 'failed')}"
    if bad:
        (key, out), more = bad[0], f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        said += f": {key}{more}: {out.get('reason') or out.get('status')}"
    return plain(said)[:400]


@dataclass
class FleetReport:
    """The results of one fleet run over ``root`` into ``out_dir``, in ``seconds`` of wall time."""

    root: str
    out_dir: str
    results: list[ModelResult]
    seconds: float = 0.0
    workers: int | None = None
    scheduler: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        got = Counter(r.status for r in self.results)
        return {s: got[s] for s in STATUSES if got[s]}

    @property
    def classes(self) -> dict[str, int]:
        """Failure class -> how many models (most first)."""
        return dict(Counter(r.cause_class for r in self.results if r.cause_class).most_common())

    @property
    def passed(self) -> bool:
        return all(r.status == "migrated" for r in self.results)

    def summary(self) -> str:
        """One line: how many models, per status, skipped, the wall time."""
        said = ", ".join(f"{n} {s}" for s, n in self.counts.items()) or "nothing"
        skipped = sum(r.skipped for r in self.results)
        skip = f" ({skipped} skipped: unchanged)" if skipped else ""
        n = len(self.results)
        return f"{n} model{'s' * (n != 1)}: {said}{skip} in {self.seconds:.1f} s"

    def to_json(self) -> dict[str, Any]:
        head = {k: getattr(self, k) for k in _HEAD}
        summary = {"counts": self.counts, "classes": self.classes, "summary": self.summary()}
        return {**head, **summary, "models": [r.to_json() for r in self.results]}

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> FleetReport:
        """The report of a ``fleet.json`` (or of the fleet folder holding one)."""
        p = Path(path)
        data = json.loads((p / FILES[0] if p.is_dir() else p).read_text())
        results = [ModelResult.from_json(r) for r in data["models"]]
        return cls(results=results, **{k: data.get(k) for k in _HEAD})

    def write(self, out_dir: Path) -> list[Path]:
        """``fleet.json``, ``fleet.csv`` and ``fleet.html`` in ``out_dir`` (replaced)."""
        rows, csv_text = self.rows(), io.StringIO()
        writer = csv.DictWriter(csv_text, fieldnames=list(rows[0]) if rows else ["model"])
        writer.writeheader()
        writer.writerows(rows)
        texts = (json.dumps(self.to_json(), indent=2) + "\n", csv_text.getvalue(), self.to_html())
        return [
            write_file(out_dir / name, lambda f, t=text: f.write(t.encode()), None, True)
            for name, text in zip(FILES, texts, strict=True)
        ]

    def rows(self) -> list[dict[str, Any]]:
        """A row per model: the columns of the CSV and HTML tables."""
        return [
            {
                "model": plain(r.model),
                "name": r.name,
                "status": r.status + (f", {SKIPPED}" if r.skipped else ""),
                "proved": plain(r.proved_text()),
                "seconds": round(r.seconds, 2),
                "exit_code": "" if r.exit_code is None else r.exit_code,
                "cause": plain(r.cause),
                "cause_class": plain(r.cause_class),
            }
            for r in self.results
        ]

    def to_html(self) -> str:
        rows = self.rows()
        cols = [c for c in (rows[0] if rows else {}) if c not in ("name", "cause_class")]
        head = "".join(f"<th onclick='sortBy({i})'>{esc(c)}</th>" for i, c in enumerate(cols))
        body = "".join(
            f"<tr class='{esc(r['status'].split(',')[0].replace(' ', '-'))}'>"
            + "".join(f"<td>{esc(r[c])}</td>" for c in cols)
            + "</tr>"
            for r in rows
        )
        classes = "".join(
            f"<tr><td>{esc(k)}</td><td>{n}</td></tr>" for k, n in self.classes.items()
        )
        return _PAGE.format(
            title=esc(f"Fleet migration of {self.root}"),
            summary=esc(self.summary()),
            head=head,
            body=body,
            classes=classes or "<tr><td>none</td><td>0</td></tr>",
        )


_PAGE = """<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title><style>
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;margin:.5em 0 1em}} th{{background:#f3f3f3;cursor:pointer}}
td,th{{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}}
.migrated td:nth-child(2){{color:#176d2c}} .failed td:nth-child(2),.crashed td:nth-child(2),
.timed-out td:nth-child(2){{color:#b00020}} .refused td:nth-child(2){{color:#a65e00}}
</style></head><body><h1>{title}</h1><p>{summary}</p>
<h2>Failure classes</h2><table><tr><th>class</th><th>models</th></tr>{classes}</table>
<h2>Models</h2><p>Click a column to sort by it.</p>
<table id='fleet'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
<script>
function sortBy(i) {{
  const body = document.querySelector('#fleet tbody'), rows = [...body.rows];
  const key = r => r.cells[i].textContent, num = rows.every(r => !isNaN(parseFloat(key(r))));
  const dir = body.dataset.col == i && body.dataset.dir == '1' ? -1 : 1;
  rows.sort((a, b) => dir * (num ? parseFloat(key(a)) - parseFloat(key(b))
                                 : key(a).localeCompare(key(b))));
  body.dataset.col = i; body.dataset.dir = dir; rows.forEach(r => body.appendChild(r));
}}
</script></body></html>
"""
