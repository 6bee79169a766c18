// The query page of `kg serve`. No libraries, nothing fetched from elsewhere: the page talks
// only to its own server (the Content-Security-Policy forbids anything else). Every value that
// comes from the data is put in the page with textContent, never parsed as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const state = { endpoint: "/sparql", prefixes: {}, maxRows: null };
  const SOLUTION_DOWNLOADS = [["CSV", "csv"], ["TSV", "tsv"], ["JSON", "json"], ["XML", "xml"]];
  const GRAPH_DOWNLOADS = [["Turtle", "ttl"], ["N-Triples", "nt"], ["JSON-LD", "jsonld"]];
  const NUMERIC = /#(integer|decimal|double|float|int|long|nonNegativeInteger|positiveInteger)$/;

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function compact(iri) {
    let best = null;
    for (const [prefix, namespace] of Object.entries(state.prefixes)) {
      if (iri.startsWith(namespace) && (!best || namespace.length > best[1].length)) {
        best = [prefix, namespace];
      }
    }
    if (best) {
      const local = iri.slice(best[1].length);
      if (/^[A-Za-z0-9_]([\w.\-]*[\w\-])?$|^$/.test(local)) return best[0] + ":" + local;
    }
    return "<" + iri + ">";
  }

  function show(id, text) {
    const node = $(id);
    node.textContent = text || "";
    node.hidden = !text;
  }

  function setStatus(text) {
    $("status").textContent = text;
  }

  // ---- examples and prefixes -----------------------------------------------------------------

  function renderPrefixes() {
    const list = $("prefix-list");
    clear(list);
    for (const [prefix, namespace] of Object.entries(state.prefixes)) {
      list.appendChild(element("dt", prefix + ":"));
      list.appendChild(element("dd", namespace));
    }
  }

  function renderExamples(examples) {
    const list = $("example-list");
    clear(list);
    $("examples-empty").hidden = examples.length > 0;
    for (const example of examples) {
      const item = element("li");
      const button = element("button");
      button.type = "button";
      button.dataset.name = example.name;
      button.title = example.description || "";
      button.appendChild(element("span", example.title));
      button.appendChild(element("code", example.name));
      button.addEventListener("click", () => {
        $("query").value = example.query;
        run();
      });
      item.appendChild(button);
      list.appendChild(item);
    }
  }

  function insertPrefixes() {
    const editor = $("query");
    const lines = Object.entries(state.prefixes)
      .filter(([prefix]) => !new RegExp("PREFIX\\s+" + prefix + ":", "i").test(editor.value))
      .map(([prefix, namespace]) => "PREFIX " + prefix + ": <" + namespace + ">");
    if (lines.length) editor.value = lines.join("\n") + "\n" + editor.value;
  }

  // ---- results -------------------------------------------------------------------------------

  function termCell(term) {
    const cell = element("td");
    if (!term) return cell;
    if (term.type === "uri") {
      cell.className = "iri";
      cell.textContent = compact(term.value);
      cell.title = term.value;
    } else if (term.type === "bnode") {
      cell.className = "iri";
      cell.textContent = "_:" + term.value;
    } else {
      cell.textContent = term.value;
      if (term["xml:lang"]) cell.appendChild(element("span", "@" + term["xml:lang"], "meta"));
      if (term.datatype && NUMERIC.test(term.datatype)) cell.className = "num";
      else if (term.datatype) cell.title = compact(term.datatype);
    }
    return cell;
  }

  function renderSolutions(data) {
    const results = $("results");
    if (typeof data.boolean === "boolean") {
      results.appendChild(element("p", "Answer: " + data.boolean, "boolean"));
      return "ASK";
    }
    const vars = (data.head && data.head.vars) || [];
    const rows = (data.results && data.results.bindings) || [];
    const table = element("table");
    table.id = "result-table";
    const head = element("thead");
    const headRow = element("tr");
    for (const name of vars) headRow.appendChild(element("th", name));
    head.appendChild(headRow);
    table.appendChild(head);
    const body = element("tbody");
    for (const row of rows) {
      const tr = element("tr");
      for (const name of vars) tr.appendChild(termCell(row[name]));
      body.appendChild(tr);
    }
    table.appendChild(body);
    results.appendChild(table);
    return rows.length + (rows.length === 1 ? " row" : " rows");
  }

  function renderGraph(text) {
    const pre = element("pre", text, "graph");
    pre.id = "result-graph";
    $("results").appendChild(pre);
    const triples = text.split("\n").filter((line) => /\.\s*$/.test(line)).length;
    return "graph (" + triples + " statement lines)";
  }

  function renderDownloads(query, isGraph) {
    const links = $("download-links");
    clear(links);
    for (const [label, format] of isGraph ? GRAPH_DOWNLOADS : SOLUTION_DOWNLOADS) {
      const link = element("a", label);
      const params = new URLSearchParams({ query: query, format: format });
      link.href = state.endpoint + "?" + params.toString();
      link.download = "results." + (format === "jsonld" ? "jsonld" : format);
      links.appendChild(link);
    }
    $("downloads").hidden = false;
  }

  // ---- running -------------------------------------------------------------------------------

  async function run() {
    const query = $("query").value;
    clear($("results"));
    show("error", "");
    show("truncated", "");
    $("downloads").hidden = true;
    $("run").disabled = true;
    setStatus("running…");
    const started = performance.now();
    try {
      const response = await fetch(state.endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/sparql-results+json, text/turtle;q=0.9",
        },
        body: new URLSearchParams({ query: query }).toString(),
      });
      const type = (response.headers.get("Content-Type") || "").split(";")[0];
      const text = await response.text();
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      if (!response.ok) {
        show("error", response.status + " " + response.statusText + ": " + text.trim());
        setStatus("failed after " + seconds + " s");
        return;
      }
      const isGraph = type === "text/turtle";
      const summary = isGraph ? renderGraph(text) : renderSolutions(JSON.parse(text));
      if (response.headers.get("KG-Truncated")) {
        show("truncated", "Only the first " + response.headers.get("KG-Max-Rows") +
          " results are shown: the server caps every answer. Add LIMIT/OFFSET to page through.");
      }
      renderDownloads(query, isGraph);
      setStatus(summary + " in " + seconds + " s");
      document.body.dataset.ran = String(Number(document.body.dataset.ran || 0) + 1);
    } catch (error) {
      show("error", "The request failed: " + error.message);
      setStatus("");
    } finally {
      $("run").disabled = false;
    }
  }

  async function start() {
    $("query-form").addEventListener("submit", (event) => {
      event.preventDefault();
      run();
    });
    $("query").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        run();
      }
    });
    $("insert-prefixes").addEventListener("click", insertPrefixes);
    let examples = [];
    try {
      const response = await fetch("/examples.json", { headers: { Accept: "application/json" } });
      const data = await response.json();
      state.endpoint = data.endpoint || state.endpoint;
      state.prefixes = data.prefixes || {};
      state.maxRows = data.maxRows;
      examples = data.examples || [];
    } catch (error) {
      show("error", "Could not load the examples: " + error.message);
    }
    renderPrefixes();
    renderExamples(examples);
    document.body.dataset.ready = "true";
    // ?query=… (a shared link) or ?example=NAME fills the editor and runs it.
    const params = new URLSearchParams(window.location.search);
    const named = examples.find((example) => example.name === params.get("example"));
    if (params.get("query") || named) {
      $("query").value = params.get("query") || named.query;
      run();
    }
  }

  document.addEventListener("DOMContentLoaded", start);
})();
