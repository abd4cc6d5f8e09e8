"""State behind the run view (plain Python): sample or load feeds, run the v1 session."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer.errors import FeedError, ParityError
from explorer.loading.model import as_model
from explorer.output_policy import default_output_dir, staged_folder
from explorer.reporting.html import write_html, write_json
from explorer.widgets._observable import Observable, recorded, script
from explorer.widgets.pick_state import Selection

if TYPE_CHECKING:
    from explorer.widgets.compare_state import ParityState

PREVIEW_ITEMS = 6  # values shown per output


def output_row(key: str, value: Any) -> dict[str, Any]:
    """:func:`~explorer.feeding.feeds.summarize` of one value with its ``key`` and ``preview``
    (the first items as text)."""
    import numpy as np

    from explorer.feeding.feeds import summarize

    row = {"key": key, **summarize(value)}
    flat = np.asarray(value.values if row.get("kind") == "sparse" else value).reshape(-1)
    more = " …" if flat.size > PREVIEW_ITEMS else ""
    row["preview"] = ", ".join(map(value_text, flat[:PREVIEW_ITEMS].tolist())) + more
    return row


def value_text(v: Any) -> str:
    """A value of an output row as text: floats to 4 digits, bytes cut at 24, ``None`` empty."""
    if v is None:
        return ""
    return repr(v[:24]) if isinstance(v, bytes) else f"{v:.4g}" if isinstance(v, float) else str(v)


class RunnerState(Observable):
    """Sample data and run the v1 session (open, state kept, until the selection changes).
    ``low``/``high``: the float range; ``feeds_source``: ``"sampled"`` or the file."""

    FIELDS = ("selection", "batch", "seed", "low", "high", "feeds", "feeds_source", "outputs")
    FIELDS += ("seconds", "failed")
    WIDGET = "SessionRunner"

    def __init__(self, model: Any, selection: Selection | None = None) -> None:
        super().__init__()
        self.model, self.selection = as_model(model), selection or Selection()
        self.batch, self.seed, self.low, self.high = 1, 0, -1.0, 1.0
        self.feeds = self.outputs = self.seconds = self._runner = None  # outputs: name -> value
        self.feeds_source, self.failed = "", ""
        self.feeds_file: Path | None = None  # the .npz the feeds came from
        self.observe(self._reset, ("selection",))
        self.observe(self._stale_feeds, ("batch", "seed", "low", "high"))
        self.observe(self._stale_outputs, ("feeds",))

    def _reset(self, _: Any = None) -> None:
        self.close()
        self.feeds, self.feeds_source = None, ""
        self._stale_outputs()

    def _stale_feeds(self, _: Any = None) -> None:
        self.failed = ""  # a failure about the old values (an empty range) is gone too
        if self.feeds_source == "sampled":
            self.feeds, self.feeds_source = None, ""

    def _stale_outputs(self, _: Any = None) -> None:
        self.outputs = self.seconds = None
        self.failed = ""

    @property
    def runner(self) -> Any:
        """The :class:`~explorer.V1Runner` for the selection (not started until a run)."""
        if self._runner is None:
            from explorer.running.v1_runner import V1Runner

            self._runner = V1Runner(self.model, **self.selection.kwargs())
        return self._runner

    @recorded
    def sample(self) -> Any:
        """Draw feeds for the selection's inputs (``batch``, ``seed``, ``[low, high)``)."""
        if not self.low < self.high:
            raise FeedError(f"range [{self.low}, {self.high}) is empty: make low < high")
        self.feeds = self.runner.sample(
            batch=self.batch, seed=self.seed, value_range=(self.low, self.high)
        )
        self.feeds_source = "sampled"
        return self.feeds

    def load_npz(self, data: bytes | str | os.PathLike[str], name: str = "upload.npz") -> Any:
        """Use feeds from an ``.npz`` file (a path, or its bytes as an upload gives them: those are
        kept as ``<model>_feeds/feeds.npz`` in the working folder, the file :meth:`code` names)."""
        from explorer.feeding.feeds import Feeds

        upload = isinstance(data, (bytes, bytearray, memoryview))
        keep = staged_folder(default_output_dir(self.model, "_feeds"), self.model)
        with keep if upload else contextlib.nullcontext() as out:
            path, shown = (out.path / "feeds.npz", name) if upload else (Path(data), str(data))
            if upload:  # kept as it came; errors name the upload
                path.write_bytes(bytes(data))
            try:
                with open(path, "rb") as f:
                    if (head := f.read(4))[:2] != b"PK":
                        raise FeedError(
                            f"{shown} is not an .npz file (an .npz is a zip of .npy arrays; this "
                            f"one starts with {head!r}): save feeds with numpy.savez(path, "
                            "**{'x:0': array}) or Feeds.save"
                        )
                feeds = Feeds(self.runner.check_feeds(Feeds.load(path)))
            except OSError as e:
                why = f"cannot read feeds from {data} ({e.strerror}): check the path"
                raise FeedError(why) from None
            except FeedError as e:
                if "pickled" in str(e) or "allow_pickle" in str(e):
                    e = FeedError(
                        f"{shown} holds object (pickled) arrays, which are never loaded: save "
                        "numeric or string arrays (numpy.savez(path, **{'x:0': array}))"
                    )
                raise FeedError(str(e).replace(str(path), shown)) from None
            path = out.publish() / "feeds.npz" if upload else path
        self.feeds_file, self.feeds_source = path, path.name if not upload else name
        self.feeds = feeds
        return feeds

    @recorded
    def run(self) -> dict[str, Any]:
        """Run once on ``feeds`` (sampled first when there are none); returns the outputs."""
        if self.feeds is None:
            self.sample()
        runner = self.runner
        try:
            if not runner.is_active:
                runner.start()
            outputs = runner.infer(self.feeds)
        except BaseException:
            self._stale_outputs()  # the last outputs are not the answer to this run
            raise
        self.seconds, self.outputs = runner.last_seconds, outputs
        return outputs

    def output_rows(self) -> list[dict[str, Any]]:  # [] before a run
        return [output_row(k, v) for k, v in (self.outputs or {}).items()]

    def feed_rows(self) -> list[dict[str, Any]]:  # what will be fed
        return [output_row(k, v) for k, v in (self.feeds or {}).items()]

    def close(self) -> None:  # the next run opens a new session
        if self._runner is not None and self._runner.is_active:
            self._runner.stop()
        self._runner = None

    def code(self) -> str:  # the explorer calls of the last run
        args = self.selection.code_args()
        lines = [f"runner = explorer.V1Runner(model{', ' + args if args else ''})"]
        if self.feeds_source and self.feeds_source != "sampled":
            lines.append(f"feeds = explorer.Feeds.load({str(self.feeds_file)!r})")
        else:
            lines.append(
                f"feeds = runner.sample(batch={self.batch}, seed={self.seed}, "
                f"value_range=({self.low}, {self.high}))"
            )
        lines += ["with runner:", "    outputs = runner.infer(feeds)"]
        return script(self.model.path, lines)


def save_run(
    parity: ParityState, out: str | os.PathLike[str] | None = None, overwrite: bool = False
) -> Path:
    """Save ``parity``'s last run to ``out`` (default ``<model>_run`` in the working folder):
    ``report.json``/``.html``; per signature ``outputs_v1.npz``, ``outputs_v2.npz`` (first batch)
    and the sampled ``feeds_I.npz`` that replay it (``parity(source=[Feeds.load(f)])``, --feed)."""
    from explorer.comparing.parity_check import Sampled
    from explorer.feeding.feeds import Feeds
    from explorer.running.v1_runner import V1Runner

    summary, model = parity.summary, parity.model
    if summary is None:
        raise ParityError("nothing to save yet: run the comparison first")
    out = out or default_output_dir(model, "_run")
    with staged_folder(out, model, overwrite, kind="parity-run") as staged:
        write_json(staged.path / "report.json", summary)
        write_html(staged.path / "report.html", summary, model=model, title=f"Parity of {out}")
        for name, report in summary.reports.items():
            (folder := staged.path / name).mkdir()
            for i, side in enumerate(("v1", "v2")):
                arrays = {k: ab[i] for k, ab in report.arrays.items() if ab is not None}
                Feeds(arrays).save(folder / f"outputs_{side}.npz", what=f"the {side} outputs")
            if parity.data is None:  # the batches explorer.parity sampled: batch i seeded seed + i
                sig = name if name in model.signatures else None
                runner = V1Runner(model, **(parity.custom_io() or {"signature": sig}))
                for i in range(parity.batches):
                    feeds = runner.sample(Sampled().batch_size, parity.seed + i)
                    feeds.save(folder / f"feeds_{i}.npz")
        return staged.publish()


def describe_note(note: str) -> str:
    """A sampling note in words (``x:0: unknown dim 0=8``: the graph leaves dimension 0 open)."""
    m = re.fullmatch(r"(.+): unknown ((?:dim \d+=\d+(?:, )?)+)", note)
    if m is None:
        return note
    dims = re.findall(r"dim (\d+)=(\d+)", m.group(2))
    parts = [f"{n} (the batch size)" if a == "0" else f"{n} for dimension {a}" for a, n in dims]
    axes = ", ".join(axis for axis, _ in dims)
    word = "dimension" if len(dims) == 1 else "dimensions"
    return f"{m.group(1)}: the graph leaves {word} {axes} open; sampled {', '.join(parts)}"
