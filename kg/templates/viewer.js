/* aichip-kg viewer. Builds the page from the JSON data block. Every piece of graph text goes
   into the DOM through textContent (tooltips are elements, never HTML strings), so labels such
   as "<img src=x onerror=…>" show as text. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("kg-data").textContent);
  var state = {
    ready: false, drawn: false, stable: false, drawnAt: null, stableAt: null,
    lang: "both", matches: [], hiddenClasses: []
  };
  window.kgViewer = state;

  var SVG = "http://www.w3.org/2000/svg";
  var MAX_LABEL = 48;
  var classes = {};
  data.legend.forEach(function (entry) { classes[entry.id] = entry; });
  var records = {};
  var idsByClass = {};
  data.nodes.forEach(function (n) {
    records[n.id] = n;
    (idsByClass[n.cls] = idsByClass[n.cls] || []).push(n.id);
  });

  function el(tag, className, text, lang) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (lang) { node.lang = lang; }
    return node;
  }

  function names(n) {
    var byLang = {};
    n.names.forEach(function (pair) { byLang[pair[0]] = pair[1]; });
    return byLang;
  }

  function shorten(text) {
    return text.length > MAX_LABEL ? text.slice(0, MAX_LABEL - 1) + "…" : text;
  }

  function labelFor(n, lang) {
    var byLang = names(n);
    var en = byLang.en;
    if (lang === "en") { return shorten(en); }
    if (lang === "zh-Hans") { return shorten(byLang["zh-Hans"] || byLang["zh-Hant"] || en); }
    if (lang === "zh-Hant") { return shorten(byLang["zh-Hant"] || byLang["zh-Hans"] || en); }
    var zh = byLang["zh-Hans"] || byLang["zh-Hant"];
    return zh && zh !== en ? shorten(en) + "\n" + shorten(zh) : shorten(en);
  }

  function classLine(id) {
    var line = el("span");
    var entry = classes[id];
    line.appendChild(document.createTextNode(entry ? entry.en : (id || "other")));
    if (entry && entry.zhHans) {
      line.appendChild(document.createTextNode(" · "));
      line.appendChild(el("span", null, entry.zhHans, "zh-Hans"));
    }
    if (entry && entry.zhHant && entry.zhHant !== entry.zhHans) {
      line.appendChild(document.createTextNode(" · "));
      line.appendChild(el("span", null, entry.zhHant, "zh-Hant"));
    }
    return line;
  }

  function addList(box, heading, items, more) {
    if (!items.length) { return; }
    box.appendChild(el("div", "head", heading));
    var list = el("ul");
    items.forEach(function (text) { list.appendChild(el("li", null, text)); });
    if (more) { list.appendChild(el("li", "meta", "+" + more + " more")); }
    box.appendChild(list);
  }

  function nodeTip(n) {
    var box = el("div", "kg-tip");
    n.names.forEach(function (pair, i) {
      box.appendChild(el("div", i === 0 ? "name" : "alt-name", pair[1], pair[0]));
    });
    if (n.alt.length) { box.appendChild(el("div", "meta", "also · 又名: " + n.alt.join(" · "))); }
    var meta = el("div", "meta", n.id + " · ");
    meta.appendChild(classLine(n.cls));
    box.appendChild(meta);
    addList(box, "Key figures · 关键数据", n.figures, n.moreFigures);
    addList(box, "Sources · 来源", n.sources, n.moreSources);
    return box;
  }

  function edgeTip(e) {
    var box = el("div", "kg-tip");
    var from = records[e.from], to = records[e.to];
    var head = el("div", "name");
    head.appendChild(document.createTextNode(names(from).en + " — " + e.label));
    if (e.labelZh) {
      head.appendChild(document.createTextNode(" · "));
      head.appendChild(el("span", null, e.labelZh, "zh-Hans"));
    }
    head.appendChild(document.createTextNode(" → " + names(to).en));
    box.appendChild(head);
    box.appendChild(el("div", "meta", e.predicate));
    if (e.quote) { box.appendChild(el("div", "quote", "“" + e.quote + "”")); }
    addList(box, "Sources · 来源", e.sources, e.moreSources);
    return box;
  }

  function swatch(shape, colour) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("viewBox", "0 0 16 16");
    var points = {
      diamond: "8,1 15,8 8,15 1,8",
      triangle: "8,1 15,14 1,14",
      triangleDown: "1,2 15,2 8,15",
      hexagon: "4,1.5 12,1.5 15.5,8 12,14.5 4,14.5 0.5,8",
      star: "8,0.5 10,6 15.5,6 11,9.5 12.8,15 8,11.6 3.2,15 5,9.5 0.5,6 6,6"
    };
    var mark;
    if (points[shape]) {
      mark = document.createElementNS(SVG, "polygon");
      mark.setAttribute("points", points[shape]);
    } else if (shape === "square") {
      mark = document.createElementNS(SVG, "rect");
      mark.setAttribute("x", "2"); mark.setAttribute("y", "2");
      mark.setAttribute("width", "12"); mark.setAttribute("height", "12");
    } else if (shape === "ellipse") {
      mark = document.createElementNS(SVG, "ellipse");
      mark.setAttribute("cx", "8"); mark.setAttribute("cy", "8");
      mark.setAttribute("rx", "7.5"); mark.setAttribute("ry", "4.5");
    } else {
      mark = document.createElementNS(SVG, "circle");
      mark.setAttribute("cx", "8"); mark.setAttribute("cy", "8"); mark.setAttribute("r", "6.5");
    }
    mark.setAttribute("fill", colour);
    mark.setAttribute("stroke", "#52606d");
    mark.setAttribute("stroke-width", "0.6");
    svg.appendChild(mark);
    return svg;
  }

  // ---- the network -----------------------------------------------------------------------

  function visNode(n) {
    var v = {
      id: n.id, label: labelFor(n, state.lang), shape: n.shape, color: n.color, title: nodeTip(n)
    };
    ["x", "y", "size", "borderWidth"].forEach(function (key) {
      if (n[key] !== undefined) { v[key] = n[key]; }
    });
    if (n.fontSize) { v.font = { size: n.fontSize }; }
    return v;
  }

  function visEdge(e) {
    var v = { id: e.id, from: e.from, to: e.to, label: e.label, title: edgeTip(e) };
    if (e.smooth) { v.smooth = e.smooth; }
    return v;
  }

  var nodes = new vis.DataSet(data.nodes.map(visNode));
  var edges = new vis.DataSet(data.edges.map(visEdge));
  var container = document.getElementById("kg-network");
  var network = new vis.Network(container, {}, data.options);
  window.network = network;
  window.nodes = nodes;
  window.edges = edges;

  var settled = !data.physics || data.nodes.length === 0;
  function checkStable() {
    if (state.drawn && settled && !state.stable) {
      state.stable = true;
      state.stableAt = performance.now();
      if (data.focus && records[data.focus]) { select(data.focus, false); }
    }
  }
  network.on("afterDrawing", function () {
    if (!state.drawn) {
      state.drawn = true;
      state.drawnAt = performance.now();
      checkStable();
    }
  });
  network.once("stabilizationIterationsDone", function () {
    // Freeze the settled layout so dragging one node does not set the whole graph moving.
    network.setOptions({ physics: { enabled: false } });
    settled = true;
    checkStable();
  });
  network.setData({ nodes: nodes, edges: edges });

  // ---- side panel ------------------------------------------------------------------------

  var details = document.getElementById("kg-details");
  function showDetails(element) {
    details.replaceChildren();
    if (element) {
      details.appendChild(el("h2", null, "Selected · 已选"));
      details.appendChild(element);
    }
  }

  function select(id, move) {
    if (nodes.get(id) && !nodes.get(id).hidden) {
      network.selectNodes([id]);
      if (move) { network.focus(id, { scale: 1.2, animation: { duration: 300 } }); }
    }
    showDetails(nodeTip(records[id]));
  }

  network.on("selectNode", function (params) { showDetails(nodeTip(records[params.nodes[0]])); });
  network.on("selectEdge", function (params) {
    if (!params.nodes.length) { showDetails(edgeTip(edgeRecords[params.edges[0]])); }
  });
  network.on("deselectNode", function () { showDetails(null); });
  var edgeRecords = {};
  data.edges.forEach(function (e) { edgeRecords[e.id] = e; });

  var legend = document.getElementById("kg-legend");
  var boxes = {};
  data.legend.forEach(function (entry) {
    var item = el("li");
    var label = el("label");
    var box = el("input");
    box.type = "checkbox";
    box.checked = true;
    box.value = entry.id;
    box.addEventListener("change", function () { setClass(entry.id, box.checked); });
    boxes[entry.id] = box;
    label.appendChild(box);
    label.appendChild(swatch(entry.shape, entry.colour));
    label.appendChild(classLine(entry.id));
    item.appendChild(label);
    item.appendChild(el("span", "count", entry.count));
    legend.appendChild(item);
  });

  function setClass(cls, visible) {
    var ids = idsByClass[cls] || [];
    nodes.update(ids.map(function (id) { return { id: id, hidden: !visible }; }));
    state.hiddenClasses = Object.keys(boxes).filter(function (key) { return !boxes[key].checked; });
  }
  function setAll(visible) {
    Object.keys(boxes).forEach(function (cls) {
      boxes[cls].checked = visible;
      setClass(cls, visible);
    });
  }
  document.getElementById("kg-all").addEventListener("click", function () { setAll(true); });
  document.getElementById("kg-none").addEventListener("click", function () { setAll(false); });

  document.getElementById("kg-lang").addEventListener("change", function (event) {
    state.lang = event.target.value;
    nodes.update(data.nodes.map(function (n) {
      return { id: n.id, label: labelFor(n, state.lang) };
    }));
  });

  function norm(text) { return String(text).normalize("NFKC").toLowerCase(); }
  var index = data.nodes.map(function (n) {
    var all = [n.id].concat(n.names.map(function (pair) { return pair[1]; }), n.alt);
    return [n.id, norm(all.join("\u0001"))];
  });
  var search = document.getElementById("kg-search");
  var status = document.getElementById("kg-search-status");
  var results = document.getElementById("kg-results");

  function runSearch() {
    var query = norm(search.value.trim());
    results.replaceChildren();
    if (!query) {
      status.textContent = "";
      state.matches = [];
      network.unselectAll();
      return;
    }
    var hits = index.filter(function (entry) { return entry[1].indexOf(query) >= 0; })
      .map(function (entry) { return entry[0]; });
    state.matches = hits;
    status.textContent = hits.length + (hits.length === 1 ? " match" : " matches") + " · "
      + hits.length + " 个结果";
    hits.slice(0, 50).forEach(function (id) {
      var item = el("li", null, labelFor(records[id], "both").replace("\n", " · "));
      item.title = id;
      item.addEventListener("click", function () { select(id, true); });
      results.appendChild(item);
    });
    network.selectNodes(hits.filter(function (id) { return !nodes.get(id).hidden; }));
  }
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && state.matches.length) { select(state.matches[0], true); }
  });

  state.ready = true;
}());
