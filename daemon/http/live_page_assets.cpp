// SPDX-License-Identifier: BSD-2-Clause
// The live page's inline style sheet and script. The script fetches the
// page as the daemon renders it (live_page.cpp) every second and swaps its
// changing parts in, so the page has one renderer and reads the same with
// and without JavaScript; it appends the /events stream's events to the
// event list through textContent only.
#include "live_page.h"

namespace smalld {

const std::string_view kLivePageStyle = R"CSS(
:root{--bg:#f4f6f9;--card:#fff;--ink:#1d2733;--dim:#6b7785;--line:#e3e8ee;--accent:#2f6fde;
--good:#1a8a4a;--bad:#c0392b;--warn:#b7791f}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.2rem;align-items:center;padding:.8rem 1.5rem;
background:#16202c;color:#e8edf3}
header h1{margin:0;font-size:1.3rem;font-weight:650;letter-spacing:.02em}
header h1 small{font-weight:400;color:#9fb0c3;font-size:.8rem}
#summary{display:flex;flex-wrap:wrap;gap:.5rem 1.2rem;align-items:center}
header b{font-variant-numeric:tabular-nums}
header .good{color:#7ee2a4}header .bad{color:#ff9d8f}
.badge{border-radius:6px;padding:.2rem .7rem;font-weight:700;text-decoration:none;color:#fff}
.badge small{font-weight:400;opacity:.85;margin-left:.3rem}
.badge.ok{background:#1f3a2b;color:#9fe2b8}.badge.warn{background:#d08a12}
header .badge.bad{background:var(--bad);color:#fff}
.pill{border-radius:999px;padding:.1rem .65rem;font-size:.8rem;font-weight:600;
text-transform:uppercase;letter-spacing:.05em}
.pill.ok{background:#1a8a4a;color:#fff}.pill.bad{background:var(--bad);color:#fff}
.pill.off{background:#3a4756;color:#c9d3de}.pill.live{background:#2f6fde;color:#fff}
#live{margin-left:auto}
main,#parts{display:grid;gap:1.1rem;min-width:0}
main{padding:1.1rem 1.5rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:.8rem 1rem;box-shadow:0 1px 2px rgba(20,30,40,.05);margin:0;min-width:0}
h2{font-size:1rem;margin:.1rem 0 .6rem}h2 small{color:var(--dim);font-weight:400}
h3{font-size:.9rem;margin:.2rem 0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:1.1rem}
.chart figcaption{display:flex;align-items:baseline;gap:.5rem;color:var(--dim)}
.chart figcaption b{color:var(--ink);font-size:1.25rem;font-variant-numeric:tabular-nums}
.chart figcaption small{margin-left:auto}
.chart svg{width:100%;height:auto;display:block;margin-top:.3rem}
svg text{font-size:9px;fill:var(--dim);font-family:inherit}
svg .grid{stroke:var(--line);stroke-width:1}
.line{fill:none;stroke-width:1.6;stroke-linejoin:round}
.s0{stroke:var(--accent);color:var(--accent)}.s1{stroke:var(--bad);color:var(--bad)}
.s2{stroke:var(--warn);color:var(--warn)}.s3{stroke:#7b4fc9;color:#7b4fc9}
.s4{stroke:#1a8a4a;color:#1a8a4a}.s5{stroke:#55616e;color:#55616e}
.legend{list-style:none;margin:.2rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:.2rem 1rem;
font-size:.75rem}
.legend li::before{content:"";display:inline-block;width:.9rem;height:.2rem;margin-right:.3rem;
vertical-align:middle;background:currentColor}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:.4rem .5rem;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
thead th{font-size:.7rem;text-transform:uppercase;letter-spacing:.04em;color:var(--dim);
font-weight:600;border-bottom:2px solid var(--line);white-space:normal;vertical-align:bottom}
#instances thead th:nth-child(n+4),#sessions thead th:nth-child(1),
#sessions thead th:nth-child(n+5),#peers thead th:nth-child(n+4):not(:last-child){text-align:right}
tbody tr:hover{background:#f7f9fc}tbody tr.hot{background:#fff6f4}
tbody th{font-weight:600;vertical-align:top}tbody th small{color:var(--dim);font-weight:400}
td.num{text-align:right}.addr{font-family:ui-monospace,"DejaVu Sans Mono",monospace;
font-size:.78rem;color:#5a6877;font-weight:400;white-space:normal}
.tag{text-transform:uppercase;font-size:.7rem;font-weight:600;color:var(--dim)}
td.why{color:var(--dim);white-space:normal;min-width:4.5rem}
td.why.bad{color:var(--bad);font-weight:700}td.num.bad{color:var(--bad);font-weight:700}
td[title]{cursor:help}
details.spark summary{font-size:.72rem;color:var(--accent);font-weight:400;cursor:pointer}
details.spark .chart{width:12rem;max-width:100%}details.spark .legend{font-size:.65rem;font-weight:400}
.stamp dl{display:flex;flex-wrap:wrap;gap:.3rem 1.6rem;margin:.2rem 0 .5rem}
.stamp dt{font-size:.7rem;text-transform:uppercase;color:var(--dim)}
.stamp dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
.histogram{width:100%;max-width:560px;height:auto;display:block}
.histogram rect{fill:var(--accent)}
.empty{color:var(--dim);text-align:center;padding:1rem}
#events{list-style:none;margin:0;padding:0;max-height:16rem;overflow-y:auto;
font:12.5px/1.5 ui-monospace,"DejaVu Sans Mono",monospace}
#events li{padding:.15rem .2rem;border-bottom:1px dashed var(--line);display:flex;gap:.8rem;
flex-wrap:wrap}
#events li.quiet{color:var(--dim)}
#events time{color:var(--dim)}#events .kind{font-weight:700;min-width:7.5rem}
#events .session_open .kind{color:var(--good)}#events .session_close .kind{color:#55616e}
#events .rejected .kind,#events .dropped .kind{color:var(--bad)}#events .reload .kind{color:var(--warn)}
footer{padding:.2rem 1.5rem 1.4rem;color:var(--dim);display:flex;flex-wrap:wrap;gap:1rem}
footer a{color:var(--accent);text-decoration:none}
@media (max-width:1000px){
main{padding:.8rem}header{padding:.7rem .8rem}
#instances thead{display:none}
#instances,#instances tbody{display:block}
#instances tr{display:grid;grid-template-columns:repeat(auto-fill,minmax(6.8rem,1fr));
border-bottom:2px solid var(--line);padding:.3rem 0}
#instances tbody th{grid-column:1/-1;border:0;padding-bottom:0}
#instances td{border:0;text-align:left;padding:.15rem .5rem}
#instances td::before{content:attr(data-label);display:block;font-size:.65rem;
text-transform:uppercase;letter-spacing:.04em;color:var(--dim);font-weight:600}
}
)CSS";

const std::string_view kLivePageIcon =
    R"SVG(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">)SVG"
    R"SVG(<rect width="32" height="32" rx="7" fill="#16202c"/>)SVG"
    R"SVG(<polyline points="4,22 10,16 15,19 21,9 28,13" fill="none" stroke="#4f8ff7" )SVG"
    R"SVG(stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>)SVG";

const std::string_view kLivePageScript = R"JS(
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const page = { polls: 0, events: 0, loaded: Date.now() };
  window.smalldLive = page;  // for tests: survives only as long as the page does
  document.documentElement.dataset.js = "on";

  // Humanise helpers, all of them: the daemon writes every other figure.
  const human = {
    fixed: (n, d) => Number(n).toFixed(d),
    clock: (date) => date.toTimeString().slice(0, 8),
    minutes: (date) => date.toTimeString().slice(0, 5),
    // As units::duration (units.h) writes a duration everywhere else.
    seconds: (s) => {
      s = Number(s);
      if (!(s >= 0)) return "-";
      if (s === 0) return "0 s";
      if (s < 0.9995e-3) return Number((s * 1e6).toPrecision(3)) + " us";
      if (s < 0.9995) return Number((s * 1e3).toPrecision(3)) + " ms";
      if (s < 59.95) return s.toFixed(1) + " s";
      const r = Math.round(s), d = Math.floor(r / 86400), h = Math.floor(r / 3600) % 24,
            m = Math.floor(r / 60) % 60;
      if (d) return d + "d " + h + "h " + m + "m";
      if (h) return h + "h " + m + "m " + (r % 60) + "s";
      return m + "m " + (r % 60) + "s";
    },
  };
  // The one place the script reads a field the daemon sends (an event's).
  const field = (object, name) => (object && name in object ? object[name] : undefined);

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function status(text, cls) {
    const live = $("live");
    live.textContent = text;
    live.className = "pill " + cls;
    live.title = "";
  }

  // The daemon renders the page; each second the script takes the parts
  // that change from a fresh rendering, keeping the charts a reader opened.
  function swap(doc) {
    const open = Array.from(document.querySelectorAll("details[open]"), (d) => d.id);
    for (const id of ["summary", "parts"]) {
      const fresh = doc.getElementById(id);
      if (fresh && $(id)) $(id).replaceWith(document.adoptNode(fresh));
    }
    for (const id of open) if ($(id)) $(id).open = true;
  }
  let stream = null;
  function poll() {
    fetch("./", { cache: "no-store" })
      .then((r) => { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
      .then((html) => {
        // The body only: the head's style sheet carries another nonce, and
        // the browser would report it as blocked.
        const body = html.slice(html.indexOf("<body>"), html.lastIndexOf("<script"));
        swap(new DOMParser().parseFromString("<!DOCTYPE html>" + body, "text/html"));
        page.polls++;
        document.body.dataset.polls = String(page.polls);
        if (!stream || stream.readyState !== 1) status("polling", "live");
        else status("live", "live");
      })
      .catch(() => status("offline", "bad"))
      .finally(() => setTimeout(poll, 1000));
  }

  function describe(ev) {
    const parts = [];
    for (const name of ["instance", "proto", "peer"]) if (field(ev, name)) parts.push(field(ev, name));
    if (field(ev, "id") !== undefined) parts.push("#" + field(ev, "id"));
    if (field(ev, "reason")) parts.push(field(ev, "reason"));
    if (field(ev, "duration") !== undefined) parts.push(human.seconds(field(ev, "duration")));
    const n = field(ev, "count");
    if (n !== undefined && n !== 1) parts.push("\u00d7" + n);
    if (field(ev, "event") === "reload")
      parts.push(field(ev, "ok") ? "ok" : "failed: " + (field(ev, "errors") || []).join("; "));
    return parts.join("  ");
  }
  function addEvent(ev) {
    const list = $("events");
    const quiet = list.querySelector(".quiet");
    if (quiet) quiet.remove();
    const li = el("li", { class: String(field(ev, "event")) });
    const when = field(ev, "time") ? new Date(field(ev, "time") * 1000) : new Date();
    li.appendChild(el("time", {}, human.clock(when)));
    li.appendChild(el("span", { class: "kind" }, String(field(ev, "event"))));
    li.appendChild(el("span", {}, describe(ev)));
    list.prepend(li);
    while (list.children.length > 100) list.lastChild.remove();
    page.events++;
    $("events-count").textContent = page.events + " since the page opened";
    document.body.dataset.events = String(page.events);
  }
  // What is true of an empty list: nothing happened since the page opened.
  const up = Number($("summary").dataset.uptime) || 0;
  $("events").appendChild(el("li", { class: "quiet" },
    "no events since " + human.clock(new Date()) + ", when this page opened (the daemon " +
    "started at " + human.minutes(new Date(Date.now() - up * 1000)) + ")"));
  if (window.EventSource) {
    stream = new EventSource("events");
    // Each message names its kind (event:), so onmessage sees none of them.
    const onEvent = (m) => { try { addEvent(JSON.parse(m.data)); } catch (e) {} };
    for (const kind of ["session_open", "session_close", "rejected", "dropped", "reload", "lost"])
      stream.addEventListener(kind, onEvent);
    stream.onopen = () => status("live", "live");
  }
  poll();
})();
)JS";

}  // namespace smalld
