"""``ClickableHTML``: an anywidget showing HTML that reports clicks on ``data-name`` elements."""

from __future__ import annotations

from collections.abc import Callable

import anywidget
import traitlets

_ESM = """
function render({ model, el }) {
  el.classList.add("tf1x-clickable");
  const first = (box) => box?.querySelector("tr[data-name]")?.getAttribute("data-name");
  const draw = () => {  // keeps a page's scroll position and the selected row in view
    const old = el.querySelector(".tf1x-scroll"), top = old?.scrollTop, was = first(old);
    el.innerHTML = model.get("html");
    const box = el.querySelector(".tf1x-scroll"), row = box?.querySelector(".tf1x-selected");
    if (box && first(box) === was) box.scrollTop = top;
    if (!row) return;
    const y = row.offsetTop - box.querySelector("thead").offsetHeight;
    const low = row.offsetTop + row.offsetHeight - box.clientHeight;
    box.scrollTop = Math.min(Math.max(box.scrollTop, low), y);
  };
  el.addEventListener("click", (event) => {
    const hit = event.target.closest("[data-name]");
    if (!hit || !el.contains(hit)) return;
    model.set("clicked", hit.getAttribute("data-name"));
    model.set("clicks", model.get("clicks") + 1);
    model.save_changes();
  });
  el.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    const hit = event.target.closest("[data-name]");
    if (hit) { event.preventDefault(); hit.click(); }
  });
  model.on("change:html", draw);
  draw();
}
export default { render };
"""

_CSS = """
.tf1x-clickable { width: 100%; } .tf1x-clickable [data-name] { cursor: pointer; }
.tf1x-clickable .tf1x-scroll { max-height: 440px; overflow-y: auto; position: relative; }
.tf1x-clickable table.tf1x-grid {
  width: 100%; table-layout: fixed; border-collapse: collapse; font-size: 12px; line-height: 18px;
}
.tf1x-clickable table.tf1x-grid th, .tf1x-clickable table.tf1x-grid td {
  padding: 1px 6px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  text-align: left; border-bottom: 1px solid var(--jp-border-color2, #eaeef2);
}
.tf1x-clickable table.tf1x-grid thead th {
  position: sticky; top: 0; background: var(--jp-layout-color1, #fff); font-weight: 600;
}
.tf1x-clickable table.tf1x-grid tbody tr[data-name]:hover { background: #f6f8fa; }
.tf1x-clickable table.tf1x-grid tbody tr.tf1x-selected { background: #ddf4ff; }
.tf1x-clickable .tf1x-fit { font-family: var(--jp-code-font-family, monospace); font-size: 12px; }
.tf1x-clickable td.tf1x-mid > div { display: flex; }
.tf1x-clickable td.tf1x-mid span { overflow: hidden; text-overflow: ellipsis; }
.tf1x-clickable td.tf1x-mid span + span { flex-shrink: 0; max-width: 85%; direction: rtl; }
.tf1x-clickable td.tf1x-mid bdi { direction: ltr; unicode-bidi: isolate; }
.tf1x-clickable .tf1x-node:hover rect { stroke-width: 2.5; }
"""


class ClickableHTML(anywidget.AnyWidget):
    """HTML reporting clicks on ``data-name`` elements: ``clicked`` (a name), ``clicks``."""

    _esm = traitlets.Unicode(_ESM).tag(sync=True)
    _css = traitlets.Unicode(_CSS).tag(sync=True)
    html = traitlets.Unicode("").tag(sync=True)
    clicked = traitlets.Unicode("").tag(sync=True)
    clicks = traitlets.Int(0).tag(sync=True)

    def on_pick(self, fn: Callable[[str], object]) -> None:
        """Call ``fn(name)`` whenever an element with ``data-name="name"`` is clicked."""
        self.observe(lambda _: fn(self.clicked), "clicks")

    def click(self, name: str) -> None:
        """What the front end does when a person clicks the element named ``name``."""
        self.set_state({"clicked": name, "clicks": self.clicks + 1})

    def __repr__(self) -> str:
        return "ClickableHTML()"
