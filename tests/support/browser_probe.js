// Layout facts of the page, measured by the browser after load and written as JSON into a
// pre element with id layout-probe, in the parent page when the report is shown in an iframe
// (the browser tests inject this into a copy of the report, shown in an iframe of the width
// under test, because headless Chromium will not make a window narrower than 500 px).
window.addEventListener("load", () => {
  const de = document.documentElement;
  const within = (inner, outer) =>
    inner.left >= outer.left - 0.5 && inner.right <= outer.right + 0.5 &&
    inner.top >= outer.top - 0.5 && inner.bottom <= outer.bottom + 0.5;
  const name = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
    ? "." + el.className.trim().split(/\s+/).join(".") : "");
  const out = {
    innerWidth: window.innerWidth,
    scrollWidth: de.scrollWidth,
    clientWidth: de.clientWidth,
    charts: [],
    figures: [],
    tables: [],
    overflowing: [],
  };
  for (const svg of document.querySelectorAll("svg")) {
    const box = svg.parentElement;
    out.charts.push({
      label: svg.getAttribute("aria-label"),
      container: name(box),
      inside: within(svg.getBoundingClientRect(), box.getBoundingClientRect()),
      width: svg.getBoundingClientRect().width,
    });
  }
  for (const fig of document.querySelectorAll(".figure")) {
    const style = getComputedStyle(fig);
    const card = fig.closest(".card, td, .chart-box") || fig.parentElement;
    out.figures.push({
      text: fig.textContent,
      lines: fig.getClientRects().length,
      height: fig.getBoundingClientRect().height,
      fontSize: parseFloat(style.fontSize),
      insideCard: within(fig.getBoundingClientRect(), card.getBoundingClientRect()),
      card: name(card),
    });
  }
  for (const table of document.querySelectorAll("table")) {
    const wrap = table.parentElement;
    out.tables.push({
      table: name(table),
      wrap: name(wrap),
      scrolls: wrap.scrollWidth > wrap.clientWidth + 1,
    });
  }
  // elements reaching past the page's right edge, outside any scroll box (diagnostics)
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest(".table-wrap") && el.closest(".table-wrap") !== el) continue;
    if (el.closest("svg") && el.tagName.toLowerCase() !== "svg") continue;
    if (el.getBoundingClientRect().right > de.clientWidth + 0.5) out.overflowing.push(name(el));
  }
  const host = window.parent !== window ? window.parent.document : document;
  const pre = host.createElement("pre");
  pre.id = "layout-probe";
  pre.textContent = JSON.stringify(out);
  host.body.appendChild(pre);
});
