"""SessionRunner: sample or upload feeds, run the v1 session, see each output's statistics."""

from __future__ import annotations

from functools import partial
from typing import Any

import ipywidgets as W

from explorer.reporting.html import esc
from explorer.widgets import _common as C
from explorer.widgets.run_state import RunnerState, describe_note, value_text

STAT_COLUMNS = ["key", "dtype", "shape", "min", "max", "mean", "std", "nan", "preview"]


def stats_table(rows: list[dict[str, Any]]) -> str:
    """HTML table of :func:`~explorer.widgets.run_state.output_row` dicts."""
    return C.table_html(STAT_COLUMNS, [[value_text(r[c]) for c in STAT_COLUMNS] for r in rows])


class SessionRunner(C.View):
    """Controls for sample data and one run of the v1 session, over a :class:`RunnerState`."""

    def __init__(self, source: Any, show_code: bool = True, **kwargs: Any) -> None:
        s = self._open(source, RunnerState, **kwargs)
        if s is None:
            return
        self.batch = W.BoundedIntText(min=1, max=1_000_000, description="batch")
        self.seed = W.IntText(description="seed")
        self.low, self.high = W.FloatText(description="low"), W.FloatText(description="high")
        self.upload = W.FileUpload(accept=".npz", multiple=False, description="feeds .npz")
        self.sample_button = W.Button(description="sample", icon="random")
        self.run_button = W.Button(description="run", icon="play", button_style="primary")
        self.feeds_table, self.outputs_table = W.HTML(), W.HTML().add_class("tf1x-outputs")
        self.timing = W.Label()
        fields = {"batch": self.batch, "seed": self.seed, "low": self.low, "high": self.high}
        C.bind_all(s, fields, self.status)
        C.on_click(self.sample_button, self.status, s.sample)
        ran = "running the v1 session…", lambda _: f"ran {len(s.outputs or {})} output(s)"
        C.on_click(self.run_button, self.status, s.run, *ran)
        self.upload.observe(self._uploaded, "value")
        C.clear_on(s, self.status, ("selection", "batch", "seed", "low", "high", "feeds"))
        s.observe(lambda _: self._render_feeds(), ("feeds", "feeds_source"))
        s.observe(lambda _: self._render_outputs(), ("outputs", "seconds"))
        self._render_feeds()
        self._render_outputs()
        buttons = W.HBox([self.sample_button, self.upload, self.run_button])
        children = [W.HBox([self.batch, self.seed]), W.HBox([self.low, self.high]), buttons]
        children += [W.Label("feeds"), self.feeds_table, W.Label("outputs"), self.outputs_table]
        self._lay_out(children + [self.timing, self.status], "tf1x-runner", show_code)

    def _uploaded(self, change: dict[str, Any]) -> None:
        if not (files := change["new"]):
            return
        f = files[0]
        load = partial(self.state.load_npz, bytes(f["content"]), name=f["name"])
        if C.guarded(self.status, load) is not None:
            self.status.ok(f"feeds from {f['name']}, kept as {self.state.feeds_file}")
        self.upload.value = ()  # the same file can be chosen again

    def _render_feeds(self) -> None:
        s = self.state
        if s.feeds is None:
            self.feeds_table.value = "<i>no feeds yet: press sample or run (runs sample first)</i>"
            return
        notes = "".join(f"<li>{esc(describe_note(n))}</li>" for n in getattr(s.feeds, "notes", []))
        notes = f"<ul style='font-size:11px'>{notes}</ul>" if notes else ""
        source = f"<div>source: {esc(s.feeds_source)}</div>"
        self.feeds_table.value = source + stats_table(s.feed_rows()) + notes

    def _render_outputs(self) -> None:
        s = self.state
        none = "<i>no outputs yet: press run</i>"
        self.outputs_table.value = none if s.outputs is None else stats_table(s.output_rows())
        took = "" if s.seconds is None else f"session.run took {s.seconds * 1e3:.2f} ms"
        self.timing.value = took
