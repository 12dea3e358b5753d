// SPDX-License-Identifier: BSD-2-Clause
// The live page's inline style sheet and script. The script renders the
// /stats.json snapshot exactly as live_page.cpp does on the server (the same
// rows, fields and number formats), polls it every second, and appends the
// /events stream's events to the page's event list. It writes text only
// through textContent, so nothing from the daemon is ever parsed as HTML.
#include "live_page.h"

namespace smalld {

const std::string_view kLivePageStyle = R"CSS(
:root{--bg:#f4f6f9;--card:#fff;--ink:#1d2733;--dim:#6b7785;--line:#e3e8ee;--accent:#2f6fde;
--good:#1a8a4a;--bad:#c0392b;--warn:#b7791f}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif}
header{display:flex;flex-wrap:wrap;gap:.6rem 1.4rem;align-items:center;padding:.9rem 1.5rem;
background:#16202c;color:#e8edf3}
header h1{margin:0;font-size:1.3rem;font-weight:650;letter-spacing:.02em}
header h1 small{font-weight:400;color:#9fb0c3;font-size:.8rem}
header b{font-variant-numeric:tabular-nums}
header .good{color:#7ee2a4}header .bad{color:#ff9d8f}
.pill{border-radius:999px;padding:.1rem .65rem;font-size:.8rem;font-weight:600;
text-transform:uppercase;letter-spacing:.05em}
.pill.ok{background:#1a8a4a;color:#fff}.pill.bad{background:var(--bad);color:#fff}
.pill.off{background:#3a4756;color:#c9d3de}.pill.live{background:#2f6fde;color:#fff}
#live{margin-left:auto}
main{padding:1.1rem 1.5rem;display:grid;gap:1.1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:.8rem 1rem;box-shadow:0 1px 2px rgba(20,30,40,.05);margin:0;min-width:0}
h2{font-size:1rem;margin:.1rem 0 .6rem}h2 small{color:var(--dim);font-weight:400}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:1.1rem}
.chart figcaption{display:flex;align-items:baseline;gap:.5rem;color:var(--dim)}
.chart figcaption b{color:var(--ink);font-size:1.35rem;font-variant-numeric:tabular-nums}
.chart figcaption small{margin-left:auto}
.chart svg{width:100%;height:70px;display:block;margin-top:.3rem;
background:linear-gradient(#fff,#fff) padding-box;border-bottom:1px solid var(--line)}
.chart .line{fill:none;stroke:var(--accent);stroke-width:1.6;vector-effect:non-scaling-stroke}
.chart .area{fill:rgba(47,111,222,.12);stroke:none}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:.4rem .55rem;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
thead th{font-size:.7rem;text-transform:uppercase;letter-spacing:.04em;color:var(--dim);
font-weight:600;border-bottom:2px solid var(--line);white-space:normal;vertical-align:bottom;
max-width:6.5rem}
#instances thead th:nth-child(n+3):nth-child(-n+11),#sessions thead th:nth-child(1),
#sessions thead th:nth-child(n+5){text-align:right}
tbody tr:hover{background:#f7f9fc}
tbody th{font-weight:600}tbody th small{color:var(--dim);font-weight:400}
td.num{text-align:right}.addr{font-family:ui-monospace,"DejaVu Sans Mono",monospace;
font-size:.78rem;color:#5a6877;font-weight:400}
.chart .axis{display:flex;justify-content:space-between;font-size:.7rem;color:var(--dim)}
td.tag{text-transform:uppercase;font-size:.75rem;font-weight:600;color:var(--dim)}
td.why{color:var(--dim)}td.why.bad{color:var(--bad);font-weight:600}
.empty{color:var(--dim);text-align:center;padding:1rem}
#events{list-style:none;margin:0;padding:0;max-height:16rem;overflow-y:auto;
font:12.5px/1.5 ui-monospace,"DejaVu Sans Mono",monospace}
#events li{padding:.15rem .2rem;border-bottom:1px dashed var(--line);display:flex;gap:.8rem}
#events time{color:var(--dim)}#events .kind{font-weight:700;min-width:7.5rem}
#events .session_open .kind{color:var(--good)}#events .session_close .kind{color:#55616e}
#events .rejected .kind,#events .dropped .kind{color:var(--bad)}#events .reload .kind{color:var(--warn)}
#events:empty::before{content:"waiting for events";color:var(--dim)}
footer{padding:.2rem 1.5rem 1.4rem;color:var(--dim);display:flex;gap:1rem}
footer a{color:var(--accent);text-decoration:none}
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
  const DASH = "\u2014";
  const page = { polls: 0, events: 0, loaded: Date.now() };
  window.smalldLive = page;  // for tests: survives only as long as the page does
  document.documentElement.dataset.js = "on";

  const fixed = (n, d) => (Math.round(n * 10 ** d) / 10 ** d).toFixed(d);
  const rate = (n) => (n >= 100 ? fixed(n, 0) : fixed(n, 1));
  function byteRate(n) {
    const units = ["B/s", "KiB/s", "MiB/s", "GiB/s"];
    let u = 0;
    while (n >= 1024 && u < 3) { n /= 1024; u++; }
    return (u === 0 ? fixed(n, 0) : fixed(n, 1)) + " " + units[u];
  }
  const pad = (n) => String(n).padStart(2, "0");
  function duration(seconds) {
    const s = Math.floor(Math.max(seconds || 0, 0));
    if (s >= 86400) return Math.floor(s / 86400) + "d " + pad(Math.floor((s % 86400) / 3600)) + "h";
    if (s >= 3600) return Math.floor(s / 3600) + "h " + pad(Math.floor((s % 3600) / 60)) + "m";
    if (s >= 60) return Math.floor(s / 60) + "m " + pad(s % 60) + "s";
    return s + "s";
  }
  const count = (v) => (typeof v === "number" ? String(Math.round(v)) : DASH);
  function reasons(obj) {
    const parts = Object.keys(obj || {}).map((k) => k + " " + count(obj[k]));
    return parts.length ? parts.join(", ") : DASH;
  }
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  const cell = (field, text, cls) => el("td", { class: cls || "num", "data-field": field }, text);

  function instanceRow(r) {
    const tr = el("tr", { "data-row": r.instance + "/" + r.proto });
    const th = el("th", { scope: "row" });
    th.appendChild(el("span", { "data-field": "instance" }, r.instance));
    th.appendChild(document.createTextNode(" "));
    th.appendChild(el("small", {}, r.type));
    th.appendChild(el("div", { class: "addr", "data-field": "listen" },
                      r.listen.length ? r.listen.join(" ") : "not listening"));
    tr.appendChild(th);
    tr.appendChild(cell("proto", r.proto, "tag"));
    tr.appendChild(cell("open", r.open === null ? DASH : count(r.open)));
    tr.appendChild(cell("sessions_rate", rate(r.rates.sessions)));
    tr.appendChild(cell("datagrams_rate", rate(r.rates.datagrams)));
    tr.appendChild(cell("bytes_rate", byteRate(r.rates.bytes)));
    for (const f of ["sessions_total", "datagrams_in_total", "datagrams_out_total",
                     "read_bytes_total", "written_bytes_total"])
      tr.appendChild(cell(f, count(r[f])));
    const empty = (o) => Object.keys(o || {}).length === 0;
    tr.appendChild(cell("refused", reasons(r.refused), empty(r.refused) ? "why" : "why bad"));
    tr.appendChild(cell("dropped", reasons(r.dropped), empty(r.dropped) ? "why" : "why bad"));
    return tr;
  }
  function sessionRow(s) {
    const tr = el("tr", { "data-session": count(s.id) });
    tr.appendChild(cell("id", count(s.id)));
    tr.appendChild(cell("instance", s.instance, "name"));
    tr.appendChild(cell("peer", s.peer === undefined ? DASH : s.peer, "addr"));
    tr.appendChild(cell("local", s.local, "addr"));
    tr.appendChild(cell("age", duration(s.age_seconds)));
    tr.appendChild(cell("idle", duration(s.idle_seconds)));
    tr.appendChild(cell("bytes_in", count(s.bytes_in)));
    tr.appendChild(cell("bytes_out", count(s.bytes_out)));
    return tr;
  }
  function fill(tbody, items, make, columns, none) {
    const rows = items.map(make);
    if (!rows.length) {
      const tr = el("tr");
      tr.appendChild(el("td", { colspan: String(columns), class: "empty" }, none));
      rows.push(tr);
    }
    tbody.replaceChildren(...rows);
  }
  function chart(id, values, slots, format) {
    const svg = $("chart-" + id);
    if (!svg) return;
    const max = values.reduce((a, b) => Math.max(a, b), 0);
    const n = values.length;
    slots = Math.max(slots || 0, n);
    const xs = values.map((v, i) => fixed(slots > 1 ? (300 * (slots - n + i)) / (slots - 1) : 300, 1));
    const pts = values.map((v, i) => xs[i] + "," + fixed(58 - (max > 0 ? (56 * v) / max : 0), 1));
    const points = pts.length ? pts.join(" ") + " " : "";
    svg.querySelector(".line").setAttribute("points", points);
    svg.querySelector(".area").setAttribute("points",
      (n ? xs[0] : "300.0") + ",60 " + points + "300.0,60");
    $("now-" + id).textContent = format(n ? values[n - 1] : 0);
    $("peak-" + id).textContent = format(max);
  }

  function render(snap) {
    const d = snap.daemon || {};
    const state = $("state");
    state.textContent = d.state;
    state.className = "pill " + (d.state === "running" ? "ok" : "bad");
    $("uptime").textContent = duration(d.uptime_seconds);
    const reload = $("last-reload");
    reload.textContent = d.last_reload;
    reload.className = d.last_reload_successful === false ? "bad" : "good";
    fill($("instances").tBodies[0], snap.rows || [], instanceRow, 13, "no instances");
    fill($("sessions").tBodies[0], snap.sessions || [], sessionRow, 8, "no open sessions");
    $("sessions-open").textContent = count(snap.sessions_open) + " open";
    const series = snap.series || {};
    chart("sessions", series.sessions || [], series.slots, rate);
    chart("datagrams", series.datagrams || [], series.slots, rate);
    chart("bytes", series.bytes || [], series.slots, byteRate);
  }
  function status(text, cls) {
    const live = $("live");
    live.textContent = text;
    live.className = "pill " + cls;
    live.title = "";
  }

  let stream = null;
  function poll() {
    fetch("stats.json", { cache: "no-store" })
      .then((r) => { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then((snap) => {
        render(snap);
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
    if (ev.instance) parts.push(ev.instance);
    if (ev.proto) parts.push(ev.proto);
    if (ev.peer) parts.push(ev.peer);
    if (ev.id !== undefined) parts.push("#" + ev.id);
    if (ev.reason) parts.push(ev.reason);
    if (ev.duration !== undefined) parts.push(fixed(ev.duration, 3) + "s");
    if (ev.count !== undefined && ev.count !== 1) parts.push("\u00d7" + ev.count);
    if (ev.event === "reload") parts.push(ev.ok ? "ok" : "failed: " + (ev.errors || []).join("; "));
    return parts.join("  ");
  }
  function addEvent(ev) {
    const list = $("events");
    const li = el("li", { class: String(ev.event) });
    const when = ev.time ? new Date(ev.time * 1000) : new Date();
    li.appendChild(el("time", {}, when.toTimeString().slice(0, 8)));
    li.appendChild(el("span", { class: "kind" }, String(ev.event)));
    li.appendChild(el("span", {}, describe(ev)));
    list.prepend(li);
    while (list.children.length > 100) list.lastChild.remove();
    page.events++;
    $("events-count").textContent = page.events + " since the page opened";
    document.body.dataset.events = String(page.events);
  }
  if (window.EventSource) {
    stream = new EventSource("events");
    // Each message names its kind (event:), so onmessage sees none of them.
    const onEvent = (m) => { try { addEvent(JSON.parse(m.data)); } catch (e) {} };
    for (const kind of ["session_open", "session_close", "rejected", "reload", "lost"])
      stream.addEventListener(kind, onEvent);
    stream.onopen = () => status("live", "live");
  }
  poll();
})();
)JS";

}  // namespace smalld
