// sparklineage's lineage page: draws the lineage document embedded above (sinks/html.py).
// Datasets and queries are nodes, reads and writes are edges, laid out left to right by
// dagre. A big report first shows its applications and the datasets they share (a huge one,
// its busiest application); a search or a click on a dataset shows that dataset's whole
// lineage, across applications.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("lineage").textContent);
  const LIMIT = 150; // nodes of a first view; past it, the view starts from the applications
  const SVG = "http://www.w3.org/2000/svg";
  const svg = document.getElementById("graph");
  const details = document.getElementById("details");
  const select = document.getElementById("view");
  const note = document.getElementById("note");
  const search = document.getElementById("search");
  const results = document.getElementById("results");

  // ---------------------------------------------------------------- the graph's indexes
  const reads = D.queries.map(() => []), writes = D.queries.map(() => []);
  const readers = D.datasets.map(() => []), writers = D.datasets.map(() => []);
  for (const [q, d, side] of D.edges) {
    (side === "r" ? reads : writes)[q].push(d);
    (side === "r" ? readers : writers)[d].push(q);
  }
  const drawn = D.queries.map((_, q) => reads[q].length + writes[q].length > 0);
  const queriesOf = D.apps.map(() => []);
  D.queries.forEach((query, q) => queriesOf[query.app].push(q));

  /** "#3" for a SQL query, "job-7" for an RDD query (it has no execution id). */
  const queryRef = (q) => (String(q.ex).startsWith("job-") ? "" : "#") + q.ex;

  /** Every dataset and query upstream and downstream of a dataset, the whole chain. */
  function chain(d) {
    const datasets = new Set([d]), queries = new Set();
    for (const up of [true, false]) {
      const seen = new Set([d]), todo = [d];
      while (todo.length) {
        for (const q of (up ? writers : readers)[todo.pop()]) {
          queries.add(q);
          for (const next of (up ? reads : writes)[q]) {
            if (!seen.has(next)) { seen.add(next); datasets.add(next); todo.push(next); }
          }
        }
      }
    }
    return { datasets, queries };
  }

  // ---------------------------------------------------------------- views
  /** The nodes and edges of a view: queries (and the datasets they touch) or applications. */
  function viewOf(name) {
    if (name === "overview") return overview();
    let queries;
    if (name === "all") queries = D.queries.map((_, q) => q);
    else if (name.startsWith("app:")) queries = queriesOf[+name.slice(4)];
    else if (name.startsWith("chain:")) queries = lineageQueries(+name.slice(6));
    queries = queries.filter((q) => drawn[q]);
    const nodes = [], edges = [], seen = new Set();
    for (const q of queries) {
      nodes.push("q" + q);
      for (const d of reads[q]) edges.push(["d" + d, "q" + q, "read", edgeState(q, d, "r")]);
      for (const d of writes[q]) edges.push(["q" + q, "d" + d, "write", edgeState(q, d, "w")]);
      for (const d of reads[q].concat(writes[q])) {
        if (!seen.has(d)) { seen.add(d); nodes.push("d" + d); }
      }
    }
    if (name.startsWith("chain:") && !seen.has(+name.slice(6))) nodes.push("d" + name.slice(6));
    return { nodes, edges };
  }

  /** The queries of a dataset's lineage view: its whole chain, or where that is too big to
   * lay out at once, the queries next to it (the most recent first, at most MOST). */
  const MOST = 150;
  let cut = "";
  function lineageQueries(d) {
    const whole = [...chain(d).queries];
    cut = "";
    if (whole.length <= MOST) return whole;
    const next = [...new Set(writers[d].concat(readers[d]))].sort((a, b) => b - a);
    cut = `: its whole lineage has ${whole.length} queries; showing the ${Math.min(MOST, next.length)} of ${next.length} next to it`;
    return next.slice(0, MOST);
  }

  /** Applications as nodes, with the datasets that join them: those that more than one
   * application reads or writes (an arrow from the writers, to the readers). */
  function overview() {
    const nodes = D.apps.map((_, a) => "a" + a), edges = [];
    D.datasets.forEach((_, d) => {
      const from = new Set(writers[d].map((q) => D.queries[q].app));
      const to = new Set(readers[d].map((q) => D.queries[q].app));
      if (new Set([...from, ...to]).size < 2) return;
      nodes.push("d" + d);
      for (const a of from) edges.push(["a" + a, "d" + d, "write", ""]);
      for (const a of to) edges.push(["d" + d, "a" + a, "read", ""]);
    });
    return { nodes, edges };
  }

  const stateOf = new Map(); // "q,d,side" → added | removed (a diff's edges)
  for (const [q, d, side, state] of D.edges) if (state) stateOf.set(q + "," + d + "," + side, state);
  const edgeState = (q, d, side) => stateOf.get(q + "," + d + "," + side) || "";

  // ---------------------------------------------------------------- drawing
  const label = (id, view) => {
    const i = +id.slice(1);
    if (id[0] === "d") return D.datasets[i].id;
    if (id[0] === "a") return D.apps[i].name + " (" + queriesOf[i].length + " queries)";
    const q = D.queries[i];
    const name = queryRef(q) + " " + q.op;
    return view.startsWith("app:") || D.apps.length === 1 ? name : D.apps[q.app].name + " " + name;
  };
  const short = (text) => (text.length > 48 ? text.slice(0, 22) + "…" + text.slice(-25) : text);

  let current = null; // { name, nodes, edges, elements: Map(id → svg element), paths }
  function show(name) {
    const view = viewOf(name);
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 60, marginx: 20, marginy: 20 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const id of view.nodes) g.setNode(id, { width: 16 + 7 * short(label(id, name)).length, height: 26 });
    for (const [from, to] of view.edges) g.setEdge(from, to);
    dagre.layout(g);
    svg.replaceChildren(defs());
    const layer = el("g", { id: "layer" });
    svg.append(layer);
    const paths = [];
    for (const [from, to, side, state] of view.edges) {
      const points = g.edge(from, to).points;
      const path = el("path", {
        class: "edge " + side + (state ? " " + state : ""),
        d: "M" + points.map((p) => p.x + "," + p.y).join("L"),
        "marker-end": "url(#arrow)",
        "data-from": from,
        "data-to": to,
      });
      paths.push(path);
      layer.append(path);
    }
    const elements = new Map();
    for (const id of view.nodes) {
      const box = g.node(id);
      const node = el("g", { class: nodeClass(id), "data-id": id, transform: `translate(${box.x - box.width / 2},${box.y - box.height / 2})` });
      node.append(el("rect", { width: box.width, height: box.height, rx: id[0] === "q" ? 12 : 3 }));
      const text = el("text", { x: 8, y: 17 });
      text.textContent = short(label(id, name));
      const title = el("title", {});
      title.textContent = label(id, name);
      node.append(text, title);
      node.addEventListener("click", (event) => { event.stopPropagation(); choose(id); });
      elements.set(id, node);
      layer.append(node);
    }
    const size = g.graph();
    const drawable = (n) => (Number.isFinite(n) && n > 0 ? n : 100); // an empty view has none
    fit(drawable(size.width), drawable(size.height));
    if (!view.nodes.length) {
      const empty = el("text", { x: 10, y: 40, class: "empty" });
      empty.textContent = "Nothing to draw: no query of these logs read or wrote a dataset.";
      layer.append(empty);
    }
    current = { name, nodes: view.nodes, edges: view.edges, elements, paths };
    select.value = [...select.options].some((o) => o.value === name) ? name : "";
    note.textContent = name.startsWith("chain:")
      ? "the lineage of " + D.datasets[+name.slice(6)].id + cut
      : name === "overview" ? "applications, and the datasets they share: click one to open it"
      : name === first.view ? first.note : "";
    svg.dataset.view = name;
  }

  function nodeClass(id) {
    const i = +id.slice(1);
    if (id[0] === "d") return "node dataset";
    if (id[0] === "a") return "node app";
    const q = D.queries[i];
    return "node query" + (q.status === "failed" ? " failed" : "") + (q.state ? " " + q.state : "");
  }

  function defs() {
    const d = el("defs", {});
    const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.append(el("path", { d: "M0,0L10,5L0,10z", fill: "#7b8794" }));
    d.append(marker);
    return d;
  }

  function el(tag, attributes) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
    return node;
  }

  // ---------------------------------------------------------------- pan and zoom
  let box = { x: 0, y: 0, w: 100, h: 100 };
  /** The whole graph in view when it fits at a readable size; else its top left, readable. */
  function fit(width, height) {
    const W = svg.clientWidth || 1000, H = svg.clientHeight || 600;
    const k = Math.min(1.5, Math.max(0.5, Math.min(W / width, H / height)));
    const w = W / k, h = H / k;
    box = { x: width * k < W ? (width - w) / 2 : 0, y: height * k < H ? (height - h) / 2 : 0, w, h };
    svg.setAttribute("viewBox", `${box.x} ${box.y} ${box.w} ${box.h}`);
  }
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const k = event.deltaY > 0 ? 1.15 : 1 / 1.15, r = svg.getBoundingClientRect();
    const px = box.x + ((event.clientX - r.left) / r.width) * box.w, py = box.y + ((event.clientY - r.top) / r.height) * box.h;
    box = { x: px - (px - box.x) * k, y: py - (py - box.y) * k, w: box.w * k, h: box.h * k };
    svg.setAttribute("viewBox", `${box.x} ${box.y} ${box.w} ${box.h}`);
  }, { passive: false });
  let drag = null;
  svg.addEventListener("mousedown", (event) => { drag = { x: event.clientX, y: event.clientY, box: { ...box } }; svg.classList.add("panning"); });
  window.addEventListener("mouseup", () => { setTimeout(() => { drag = null; }); svg.classList.remove("panning"); });
  window.addEventListener("mousemove", (event) => {
    if (!drag || !svg.classList.contains("panning")) return;
    const r = svg.getBoundingClientRect();
    box.x = drag.box.x - ((event.clientX - drag.x) / r.width) * box.w;
    box.y = drag.box.y - ((event.clientY - drag.y) / r.height) * box.h;
    svg.setAttribute("viewBox", `${box.x} ${box.y} ${box.w} ${box.h}`);
  });
  svg.addEventListener("click", (event) => {
    if (drag && Math.hypot(event.clientX - drag.x, event.clientY - drag.y) > 3) return; // a pan
    highlight(new Set());
    details.replaceChildren(hint());
  });

  // ---------------------------------------------------------------- selection
  function choose(id) {
    const i = +id.slice(1);
    if (id[0] === "a") { show("app:" + i); return; }
    const lit = new Set([id]);
    if (id[0] === "d") {
      const c = chain(i);
      c.datasets.forEach((x) => lit.add("d" + x));
      c.queries.forEach((x) => lit.add("q" + x));
      showDataset(i);
    } else {
      reads[i].concat(writes[i]).forEach((x) => lit.add("d" + x));
      showQuery(i);
    }
    highlight(lit);
    current.elements.get(id)?.classList.add("selected");
  }

  /** Light these nodes and the edges between them, dim the rest (an empty set: undo). */
  function highlight(lit) {
    const on = lit.size > 0;
    for (const [id, node] of current.elements) {
      node.classList.toggle("lit", on && lit.has(id));
      node.classList.toggle("dim", on && !lit.has(id));
      node.classList.remove("selected");
    }
    for (const path of current.paths) {
      const inside = lit.has(path.dataset.from) && lit.has(path.dataset.to);
      path.classList.toggle("lit", on && inside);
      path.classList.toggle("dim", on && !inside);
    }
  }

  // ---------------------------------------------------------------- the details panel
  const h = (tag, text, attributes) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, v);
    return node;
  };
  const hint = () => h("p", "Click a dataset to see its lineage and columns, a query to see what it ran.", { class: "hint" });
  const link = (text, go) => { const a = h("a", text); a.addEventListener("click", go); return a; };
  const datasetLink = (d) => link(D.datasets[d].id, () => open("d" + d));
  const queryName = (q) => D.apps[D.queries[q].app].name + " " + queryRef(D.queries[q]) + " " + D.queries[q].op;
  const queryLink = (q) => link(queryName(q), () => open("q" + q));

  /** Select a node, in the current view when it is there, else in a view that has it. */
  function open(id) {
    if (!current.elements.has(id)) show(id[0] === "d" ? "chain:" + id.slice(1) : "app:" + D.queries[+id.slice(1)].app);
    choose(id);
  }

  function list(title, items) {
    const part = document.createDocumentFragment();
    if (!items.length) return part;
    part.append(h("h3", title));
    const ul = h("ul");
    for (const item of items) { const li = h("li"); li.append(item); ul.append(li); }
    part.append(ul);
    return part;
  }

  function columnTable(rows) {
    const table = h("table", null, { class: "columns" });
    const head = h("tr");
    for (const name of ["column", "from", "transform", "query"]) head.append(h("th", name));
    table.append(head);
    for (const [column, sources, transform, q] of rows) {
      const tr = h("tr");
      const from = sources.map(([d, c]) => D.datasets[d].id + "." + c).join(", ") || "–";
      tr.append(h("td", column), h("td", from), h("td", transform));
      const cell = h("td"); cell.append(queryLink(q)); tr.append(cell);
      table.append(tr);
    }
    return table;
  }

  function showDataset(d) {
    const dataset = D.datasets[d];
    const parts = [h("h2", dataset.id), h("p", [dataset.kind, dataset.format, dataset.location].filter(Boolean).join(" · "))];
    parts.push(list("Written by", writers[d].map(queryLink)), list("Read by", readers[d].map(queryLink)));
    const rows = [];
    for (const q of writers[d]) {
      for (const [target, column, sources, transform] of D.queries[q].columns) if (target === d) rows.push([column, sources, transform, q]);
    }
    if (rows.length) { parts.push(h("h3", "Columns")); parts.push(columnTable(rows)); }
    details.replaceChildren(...parts);
  }

  function showQuery(q) {
    const query = D.queries[q], app = D.apps[query.app];
    const parts = [h("h2", queryRef(query) + " " + query.op)];
    const status = h("p");
    status.append(h("span", query.status, { class: query.status === "failed" ? "failed" : "" }));
    status.append(" · " + app.name + (query.user ? " · run by " + query.user : ""));
    if (query.state) status.append(h("span", " · " + query.state, { class: "state-" + query.state }));
    parts.push(status);
    if (query.start || query.end) parts.push(h("p", (query.start || "?") + " → " + (query.end || "?"), { class: "hint" }));
    if (query.desc) { parts.push(h("h3", "SQL / description")); parts.push(h("pre", query.desc, { class: "sql" })); }
    if (query.error) { parts.push(h("h3", "Error")); parts.push(h("pre", query.error)); }
    parts.push(list("Reads", reads[q].map(datasetLink)), list("Writes", writes[q].map(datasetLink)));
    if (query.columns.length) {
      parts.push(h("h3", "Columns"));
      parts.push(columnTable(query.columns.map(([target, column, sources, transform]) => [D.datasets[target].id.split(":").pop() + "." + column, sources, transform, q])));
    }
    parts.push(list("Warnings", query.warnings.map((w) => h("span", w))));
    parts.push(list("Unsupported plan nodes", query.unsupported.map((u) => h("code", u))));
    parts.push(list("Changes", (query.changes || []).map((c) => h("span", c, { class: c[0] === "+" ? "state-added" : "state-removed" }))));
    details.replaceChildren(...parts);
  }

  // ---------------------------------------------------------------- search
  const index = [];
  D.datasets.forEach((d, i) => { if (readers[i].length + writers[i].length) index.push(["dataset", d.id, "d" + i]); });
  D.apps.forEach((a, i) => index.push(["application", a.name + " " + a.id, "a" + i]));
  D.queries.forEach((q, i) => { if (q.desc) index.push(["query", queryName(i) + ": " + q.desc, "q" + i]); });
  let found = [];
  search.addEventListener("input", () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    found = words.length ? index.filter(([, text]) => words.every((w) => text.toLowerCase().includes(w))).slice(0, 60) : [];
    results.replaceChildren(...found.map(([what, text, id], n) => {
      const li = h("li", null, { "data-id": id, class: n === 0 ? "on" : "" });
      li.append(h("span", what, { class: "what" }), text.length > 160 ? text.slice(0, 160) + "…" : text);
      li.addEventListener("mousedown", (event) => { event.preventDefault(); pick(id); });
      return li;
    }));
    results.hidden = !found.length;
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && found.length) pick(found[0][2]);
    if (event.key === "Escape") results.hidden = true;
  });
  search.addEventListener("blur", () => { results.hidden = true; });
  function pick(id) {
    results.hidden = true;
    if (id[0] === "a") { show("app:" + id.slice(1)); return; }
    if (id[0] === "d") show("chain:" + id.slice(1));
    open(id);
  }

  // ---------------------------------------------------------------- header and start
  function summary() {
    const failed = D.queries.filter((q) => q.status === "failed").length;
    const versions = [...new Set(D.apps.map((a) => a.spark).filter(Boolean))].sort();
    const p = document.getElementById("summary");
    const item = (n, what) => { p.append(h("b", String(n)), " " + what + "  ·  "); };
    item(D.apps.length, "applications");
    item(D.queries.length, "queries");
    item(D.datasets.filter((_, d) => readers[d].length + writers[d].length).length, "datasets");
    item(failed, "failed queries");
    item(D.warnings, "warnings");
    if (D.diff) { item(D.diff.added, "edges added"); item(D.diff.removed, "edges removed"); item(D.diff.changed, "queries changed"); }
    if (versions.length) p.append("Spark " + versions.join(", "));
    const logs = document.querySelector("#logs ul");
    for (const a of D.apps) logs.append(h("li", a.source + (a.read_error ? " — " + a.read_error : "")));
    document.querySelector("#logs summary").textContent = "Logs read (" + D.apps.length + ")";
  }

  const first = { view: "", note: "" }; // what a first view that is not everything says
  function views() {
    const nodes = D.queries.filter((_, q) => drawn[q]).length + D.datasets.filter((_, d) => readers[d].length + writers[d].length).length;
    const options = [["", "—"], ["overview", "Applications"], ["all", "Everything (" + nodes + " nodes)"]];
    D.apps.forEach((a, i) => options.push(["app:" + i, a.name + " — " + a.id]));
    for (const [value, text] of options) select.append(h("option", text, { value }));
    select.addEventListener("change", () => { if (select.value) show(select.value); });
    if (nodes <= LIMIT) return "all";
    if (D.apps.length <= LIMIT) return "overview";
    // Too many even to draw the applications at once: the busiest one, until asked.
    const busiest = queriesOf.reduce((best, qs, a) => (qs.length > queriesOf[best].length ? a : best), 0);
    first.view = "app:" + busiest;
    first.note = D.apps.length + " applications: showing the busiest; pick another above, or search";
    return first.view;
  }

  summary();
  show(views());
  document.body.dataset.ready = String(Math.round(performance.now())); // ms to the first view
})();
