// The page of a running graph: its picture, live figures from the executor's /prometheus,
// and a request form. Everything is read from this runtime itself, relative to the page,
// so it works at / and under /seldon/<namespace>/<name>/ alike. Text goes in via
// textContent only: answers are shown exactly as the executor returned them.
"use strict";

const REFRESH_MS = 2000;
const QUANTILES = [0.5, 0.99];
const $ = (id) => document.getElementById(id);
let graph = { name: "graph", nodes: [], example: "{}" };

function ident(name) {
  return "n_" + name.replace(/[-.]/g, "_");
}

function storageKey() {
  return "seldon-graphs:last-request:" + graph.namespace + "/" + graph.name;
}

async function loadPicture() {
  const text = await (await fetch("page/graph.svg")).text();
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  $("picture").replaceChildren(document.importNode(doc.documentElement, true));
}

async function loadGraph() {
  graph = await (await fetch("page/graph.json")).json();
  $("graph-name").textContent = graph.name;
  $("graph-namespace").textContent = graph.namespace ? "in " + graph.namespace : "";
  document.title = graph.name + " · seldon-graphs";
  const rows = [["(graph)", "predictions", "graph-row"]].concat(
    graph.nodes.map((n) => [n.name, n.role.toLowerCase(), "node-row"]));
  $("figures").tBodies[0].replaceChildren(...rows.map(([name, role, kind]) => {
    const tr = document.createElement("tr");
    tr.className = kind;
    tr.dataset.node = name;
    for (const [cls, text] of [["name", name], ["role", role], ["requests", "0"],
      ["errors", "0"], ["p50", "–"], ["p99", "–"]]) {
      const td = document.createElement("td");
      td.className = cls;
      td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  }));
}

// --- request form ----------------------------------------------------------------------
function fromMetadata(meta) {
  const input = (meta.graphinputs || [])[0];
  const shape = input && input.schema && input.schema.shape;
  if (!Array.isArray(shape) || shape.length === 0) return null;
  const width = shape[shape.length - 1];
  if (!Number.isInteger(width) || width < 1 || width > 64) return null;
  const body = { data: { ndarray: [new Array(width).fill(0)] } };
  if (Array.isArray(input.schema.names)) body.data.names = input.schema.names;
  return JSON.stringify(body);
}

async function prefill() {
  const last = localStorage.getItem(storageKey());
  if (last !== null) return setRequest(last, "(your last request)");
  try {
    const answer = await fetch("api/v1.0/metadata");
    const made = answer.ok ? fromMetadata(await answer.json()) : null;
    if (made !== null) return setRequest(made, "(from the graph's metadata)");
  } catch (err) {
    // no usable metadata: the example below
  }
  setRequest(graph.example, "(an example)");
}

function setRequest(text, origin) {
  $("request").value = text;
  $("request-origin").textContent = origin;
  showCurl();
}

function shellQuote(text) {
  return "'" + text.replace(/'/g, "'\"'\"'") + "'";
}

function showCurl() {
  const url = new URL("api/v1.0/predictions", location.href).href;
  $("curl").textContent = "curl -s " + shellQuote(url) +
    " -H 'Content-Type: application/json' \\\n     -d " + shellQuote($("request").value);
}

async function send(event) {
  event.preventDefault();
  const body = $("request").value;
  localStorage.setItem(storageKey(), body);
  showCurl();
  $("send").disabled = true;
  const started = performance.now();
  try {
    const answer = await fetch("api/v1.0/predictions", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: body });
    const text = await answer.text();
    showAnswer(answer.status, text, Math.round(performance.now() - started));
  } catch (err) {
    showAnswer(0, String(err), 0);
  } finally {
    $("send").disabled = false;
    refreshFigures();
  }
}

function showAnswer(status, text, ms) {
  const ok = status === 200;
  $("status").textContent = (status ? "HTTP " + status : "no answer") + " · " + ms + " ms";
  $("status").className = ok ? "ok" : "error";
  $("answer").textContent = text;
  $("answer").className = ok ? "" : "error";
  let meta = {};
  try {
    meta = (JSON.parse(text) || {}).meta || {};
  } catch (err) {
    // not JSON: nothing to highlight
  }
  $("request-path").textContent = meta.requestPath ? JSON.stringify(meta.requestPath) : "";
  $("routing").textContent = meta.routing ? JSON.stringify(meta.routing) : "";
  highlight(meta.requestPath || {}, meta.routing || {});
  $("picture").classList.toggle("failed", !ok);
}

function highlight(requestPath, routing) {
  const picture = $("picture");
  for (const el of picture.querySelectorAll(".visited, .routed, .chosen")) {
    el.classList.remove("visited", "routed", "chosen");
  }
  for (const name of Object.keys(requestPath)) {
    const el = document.getElementById("node-" + name);
    if (el) el.classList.add("visited");
  }
  const children = Object.fromEntries(graph.nodes.map((n) => [n.name, n.children]));
  for (const [router, route] of Object.entries(routing)) {
    const el = document.getElementById("node-" + router);
    if (!el || route < 0) continue;  // -1: every child (not a router's choice)
    el.classList.add("routed");
    const child = (children[router] || [])[route];
    if (child === undefined) continue;
    for (const edge of picture.querySelectorAll("g.edge")) {
      const title = edge.querySelector("title");
      if (title && title.textContent === ident(router) + "->" + ident(child)) {
        edge.classList.add("chosen");
      }
    }
  }
}

// --- live figures ----------------------------------------------------------------------
function parseLabels(text) {
  const labels = {};
  for (const m of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2];
  return labels;
}

// Per key (the graph, or a node's name): count, errors and summed cumulative buckets.
function collect(exposition) {
  const figures = {};
  const entry = (key) => (figures[key] ||= { count: 0, errors: 0, buckets: {} });
  for (const line of exposition.split("\n")) {
    const m = /^seldon_api_executor_(server|client)_requests_seconds_(bucket|count)\{(.*)\} (\S+)$/
      .exec(line);
    if (!m) continue;
    const labels = parseLabels(m[3]);
    const key = m[1] === "server" ? (labels.service === "predictions" ? "(graph)" : null)
      : labels.model_name;
    if (!key) continue;
    const value = Number(m[4]);
    const figure = entry(key);
    if (m[2] === "count") {
      figure.count += value;
      if (labels.code !== "200") figure.errors += value;
    } else {
      figure.buckets[labels.le] = (figure.buckets[labels.le] || 0) + value;
    }
  }
  return figures;
}

// Prometheus' histogram_quantile: linear within the bucket the rank falls in.
function quantile(q, buckets) {
  const sorted = Object.entries(buckets)
    .map(([le, count]) => [le === "+Inf" ? Infinity : Number(le), count])
    .sort((a, b) => a[0] - b[0]);
  const total = buckets["+Inf"] || 0;
  if (total === 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [bound, cumulative] of sorted) {
    if (cumulative >= rank) {
      if (bound === Infinity) return lower;  // beyond the last bound: say the bound
      return lower + (bound - lower) * (rank - below) / Math.max(cumulative - below, 1e-9);
    }
    lower = bound;
    below = cumulative;
  }
  return lower;
}

async function refreshFigures() {
  let figures;
  try {
    figures = collect(await (await fetch("prometheus")).text());
  } catch (err) {
    return;
  }
  for (const tr of $("figures").tBodies[0].rows) {
    const figure = figures[tr.dataset.node];
    if (!figure) continue;
    tr.querySelector(".requests").textContent = String(figure.count);
    const errors = tr.querySelector(".errors");
    errors.textContent = String(figure.errors);
    errors.classList.toggle("some", figure.errors > 0);
    for (const q of QUANTILES) {
      const seconds = quantile(q, figure.buckets);
      tr.querySelector(".p" + Math.round(q * 100)).textContent =
        seconds === null ? "–" : (seconds * 1000).toFixed(1);
    }
  }
  $("figures-updated").textContent = "at " + new Date().toLocaleTimeString();
}

async function main() {
  $("request-form").addEventListener("submit", send);
  $("request").addEventListener("input", showCurl);
  await Promise.all([loadPicture(), loadGraph()]);
  await prefill();
  document.body.dataset.ready = "true";  // for tests and screenshots: everything is drawn
  await refreshFigures();
  setInterval(refreshFigures, REFRESH_MS);
}

main();
