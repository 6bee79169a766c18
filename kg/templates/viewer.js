/* aichip-kg viewer. Builds the page from the JSON data block. Every piece of graph text goes
   into the DOM through textContent (tooltips are elements, never HTML strings), so labels such
   as "<img src=x onerror=…>" show as text. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("kg-data").textContent);
  var state = {
    ready: false, drawn: false, stable: false, drawnAt: null, stableAt: null,
    lang: "both", matches: [], hiddenClasses: [],
    view: data.view, catalogue: !!data.catalogue, reference: false, expanded: {},
    visible: [], labelled: [], edgeLabels: [], relabels: 0
  };
  window.kgViewer = state;

  var SVG = "http://www.w3.org/2000/svg";
  var MAX_LABEL = 34;
  var classes = {};
  data.legend.forEach(function (entry) { classes[entry.id] = entry; });
  var records = {};
  var idsByClass = {};
  var groupOf = {};
  var groups = [];
  data.nodes.forEach(function (n) {
    records[n.id] = n;
    (idsByClass[n.cls] = idsByClass[n.cls] || []).push(n.id);
    if (n.members) { groups.push(n.id); }
    if (n.grp) { groupOf[n.id] = n.grp; }
  });
  var views = {};
  data.views.forEach(function (v) { views[v.name] = v; });
  if (!views[state.view]) { state.view = data.views[0].name; }

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

  function plainTip(heading, lines) {
    var box = el("div", "kg-tip");
    box.appendChild(el("div", "name", heading));
    lines.forEach(function (line) { box.appendChild(el("div", "meta", line)); });
    return box;
  }

  // ---- the network -----------------------------------------------------------------------
  // Labels are drawn at a fixed size on screen whatever the zoom, and only where they fit:
  // the most linked entities first, each label only if its box overlaps no label drawn
  // before it. Zooming in makes room, so more labels appear.

  var LABEL_PX = 12;
  var EDGE_LABEL_PX = 11;
  var BASE_SIZE = 12;

  function visNode(n) {
    var v = {
      id: n.id, label: "", shape: n.shape, color: n.color, title: nodeTip(n), hidden: true,
      x: 0, y: 0
    };
    if (n.borderWidth !== undefined) { v.borderWidth = n.borderWidth; }
    return v;
  }

  function visEdge(e) {
    var v = { id: e.id, from: e.from, to: e.to, label: "", title: edgeTip(e), hidden: true };
    if (e.smooth) { v.smooth = e.smooth; }
    return v;
  }

  var viewLinks = {};
  var allEdges = data.edges.map(visEdge);
  data.views.forEach(function (view) {
    view.links.forEach(function (link) {
      viewLinks[link.id] = link;
      allEdges.push({
        id: link.id, from: link.from, to: link.to, label: "", hidden: true, dashes: [6, 4],
        width: 2, color: { color: "#e15759", highlight: "#9b1c1c", hover: "#9b1c1c" },
        title: plainTip(names(records[link.from]).en + " → " + names(records[link.to]).en,
                        link.details)
      });
    });
  });
  var nodes = new vis.DataSet(data.nodes.map(visNode));
  var edges = new vis.DataSet(allEdges);
  var container = document.getElementById("kg-network");
  var network = new vis.Network(container, {}, data.options);
  window.network = network;
  window.nodes = nodes;
  window.edges = edges;
  network.setData({ nodes: nodes, edges: edges });

  // ---- what is visible -------------------------------------------------------------------

  var hiddenClass = {};
  var current = {};     // id -> true for nodes drawn now
  var foldedInto = {};  // member id -> the node it is folded into, while folded
  var foldCount = {};   // group id -> members folded into it now
  var degree = {};
  var foldEdgeIds = [];
  var visibleEdges = {};

  function inView(id) {
    var view = views[state.view];
    if (!view.nodes) { return true; }
    if (!view.set) {
      view.set = {};
      view.nodes.forEach(function (n) { view.set[n] = true; });
    }
    return view.set[id] === true;
  }

  function wanted(id) {
    var n = records[id];
    return inView(id) && !hiddenClass[n.cls] && !n.synthetic
      && (state.catalogue || !n.cat) && (state.reference || !n.ref);
  }

  function isOpen(group) { return views[state.view].expand || state.expanded[group] === true; }

  function computeVisible() {
    var visible = {};
    foldedInto = {};
    foldCount = {};
    data.nodes.forEach(function (n) { if (!groupOf[n.id]) { visible[n.id] = wanted(n.id); } });
    groups.forEach(function (g) {
      var live = records[g].members.filter(function (m) { return wanted(m); });
      var open = isOpen(g);
      var rep = records[g].synthetic
        ? live.length > 0 && inView(g) && !hiddenClass[records[g].cls]
        : wanted(g) || (live.length > 0 && inView(g) && !hiddenClass[records[g].cls]);
      visible[g] = rep;
      foldCount[g] = open || !rep ? 0 : live.length;
      records[g].members.forEach(function (m) {
        visible[m] = open && wanted(m);
        if (!open && rep && live.indexOf(m) >= 0) { foldedInto[m] = g; }
      });
    });
    return visible;
  }

  function endOf(id) {
    if (current[id]) { return id; }
    return foldedInto[id] || null;
  }

  function rebuild() {
    current = computeVisible();
    degree = {};
    var edgeUpdates = [];
    var folds = {};
    visibleEdges = {};
    data.edges.forEach(function (e) {
      var a = endOf(e.from), b = endOf(e.to);
      var show = a !== null && b !== null && a === e.from && b === e.to;
      if (!show && a !== null && b !== null && a !== b) {
        var key = a + "\u0001" + b + "\u0001" + e.predicate;
        if (!folds[key]) { folds[key] = { from: a, to: b, label: e.label, count: 0 }; }
        folds[key].count += 1;
      }
      if (show) { visibleEdges[e.id] = true; }
      edgeUpdates.push({ id: e.id, hidden: !show, label: "" });
    });
    Object.keys(viewLinks).forEach(function (id) {
      var link = viewLinks[id];
      var show = id.indexOf(state.view + ":") === 0 && current[link.from] === true
        && current[link.to] === true;
      if (show) { visibleEdges[id] = true; }
      edgeUpdates.push({ id: id, hidden: !show, label: "" });
    });
    edges.update(edgeUpdates);
    edges.remove(foldEdgeIds);
    foldEdgeIds = [];
    var added = [];
    Object.keys(folds).sort().forEach(function (key, i) {
      var f = folds[key];
      var id = "fold" + i;
      foldEdgeIds.push(id);
      visibleEdges[id] = true;
      added.push({
        id: id, from: f.from, to: f.to, label: "", dashes: [2, 3],
        title: plainTip(names(records[f.from]).en + " — " + f.label + " → "
                        + names(records[f.to]).en,
                        [f.count + (f.count === 1 ? " link" : " links")
                         + " of folded chips · 折叠芯片的关系"])
      });
    });
    // An open maker's group stays as a node, tied to its chips by dotted lines.
    groups.forEach(function (g) {
      if (!records[g].synthetic || !current[g] || !isOpen(g)) { return; }
      records[g].members.forEach(function (m) {
        if (!current[m]) { return; }
        var id = "fold" + foldEdgeIds.length;
        foldEdgeIds.push(id);
        visibleEdges[id] = true;
        added.push({ id: id, from: g, to: m, label: "", dashes: [2, 3], arrows: { to: false },
                     title: plainTip(names(records[m]).en, [names(records[g]).en]) });
      });
    });
    edges.add(added);
    Object.keys(visibleEdges).forEach(function (id) {
      var e = edges.get(id);
      degree[e.from] = (degree[e.from] || 0) + 1;
      degree[e.to] = (degree[e.to] || 0) + 1;
    });
    var nodeUpdates = [];
    state.visible = [];
    data.nodes.forEach(function (n) {
      var show = current[n.id] === true;
      if (show) { state.visible.push(n.id); }
      var size = n.size || BASE_SIZE;
      if (show && !n.size) {
        size = Math.min(BASE_SIZE * 2.6, BASE_SIZE * (0.8 + 0.3 * Math.sqrt(degree[n.id] || 0)));
      }
      if (foldCount[n.id]) { size = Math.max(size, BASE_SIZE * 1.6); }
      nodeUpdates.push({ id: n.id, hidden: !show, size: size, label: "" });
    });
    nodes.update(nodeUpdates);
    state.labelled = [];
    updateCounts();
  }

  // ---- labels ----------------------------------------------------------------------------

  var measure = document.createElement("canvas").getContext("2d");
  function textBox(text, px) {
    measure.font = px + "px " + data.font;
    var lines = text.split("\n");
    var width = 0;
    lines.forEach(function (line) { width = Math.max(width, measure.measureText(line).width); });
    return { width: width, height: lines.length * px * 1.25 };
  }

  function nodeText(id) {
    var text = labelFor(records[id], state.lang);
    if (foldCount[id]) {
      var lines = text.split("\n");
      lines[0] += "  [+" + foldCount[id] + "]";
      text = lines.join("\n");
    }
    return text;
  }

  function importance(id) {
    var score = degree[id] || 0;
    if (foldCount[id]) { score += Math.sqrt(foldCount[id]); }
    if (id === data.focus) { score += 1e6; }
    // The chips just unfolded are what the reader asked to see.
    if (groupOf[id] && groupOf[id] === state.unfolded && isOpen(groupOf[id])) { score += 1e5; }
    if (network.getSelectedNodes().indexOf(id) >= 0) { score += 1e7; }
    return score;
  }

  function overlaps(box, placed) {
    for (var i = 0; i < placed.length; i++) {
      var p = placed[i];
      if (box[0] < p[2] && p[0] < box[2] && box[1] < p[3] && p[1] < box[3]) { return true; }
    }
    return false;
  }

  function relabel() {
    var scale = network.getScale();
    var rect = container.getBoundingClientRect();
    var ids = state.visible.slice();
    var where = network.getPositions(ids);
    var placed = [];
    var labelled = {};
    var edgeText = {};
    ids.sort(function (a, b) {
      return importance(b) - importance(a) || (a < b ? -1 : a > b ? 1 : 0);
    });
    var budget = Math.max(12, Math.round(rect.width * rect.height / 9000));
    var count = 0;
    // Labels also keep off other nodes' marks, so no entity hides under a name.
    var marks = {};
    var screen = {};
    ids.forEach(function (id) {
      var p = network.canvasToDOM(where[id]);
      var r = Math.max(3, (nodes.get(id).size || BASE_SIZE) * scale);
      screen[id] = [p, r];
      marks[id] = [p.x - r, p.y - r, p.x + r, p.y + r];
    });
    var markList = ids.map(function (id) { return [id, marks[id]]; });
    function markHits(box, own) {
      var hits = 0;
      for (var i = 0; i < markList.length; i++) {
        var m = markList[i];
        if (m[0] !== own && box[0] < m[1][2] && m[1][0] < box[2] && box[1] < m[1][3]
            && m[1][1] < box[3]) { hits += 1; }
      }
      return hits;
    }
    function hitsMark(box, own) { return markHits(box, own) > 0; }
    function inside(box) {
      return box[0] >= 0 && box[1] >= 0 && box[2] <= rect.width && box[3] <= rect.height;
    }
    // A view's own links (the market shares) are what it is for: their figures come first.
    // Labels it puts on ordinary links (a member's role) come after the busiest entities.
    function placeLinkLabels(own) {
      var view = views[state.view];
      var wantedLabels = [];
      if (own) {
        Object.keys(viewLinks).forEach(function (id) {
          if (visibleEdges[id]) { wantedLabels.push([id, viewLinks[id].label]); }
        });
      } else {
        Object.keys(view.edgeLabels || {}).sort().forEach(function (id) {
          // Only straight links: a curved one's label would not sit at the middle.
          if (visibleEdges[id] && !edgeRecords[id].smooth) {
            wantedLabels.push([id, view.edgeLabels[id]]);
          }
        });
      }
      wantedLabels.forEach(function (pair) {
        var e = edges.get(pair[0]);
        var a = where[e.from], b = where[e.to];
        if (!a || !b) { return; }
        var mid = network.canvasToDOM({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
        var size = textBox(pair[1], EDGE_LABEL_PX);
        var box = [mid.x - size.width / 2 - 4, mid.y - size.height / 2 - 3,
                   mid.x + size.width / 2 + 4, mid.y + size.height / 2 + 3];
        if (box[0] < 0 || box[1] < 0 || box[2] > rect.width || box[3] > rect.height) { return; }
        if (!overlaps(box, placed) && !hitsMark(box, null)) {
          placed.push(box);
          edgeText[pair[0]] = pair[1];
        }
      });
    }
    var placement = {};
    ids.forEach(function (id, rank) {
      if (rank === 0) { placeLinkLabels(true); }
      if (rank === Math.min(12, ids.length - 1)) { placeLinkLabels(false); }
      if (count >= budget) { return; }
      var p = screen[id][0];
      var r = screen[id][1];
      var text = nodeText(id);
      var size = textBox(text, LABEL_PX);
      var lines = text.split("\n").length;
      // vis-network draws a label's top at y + r + size/2 + 4 (canvas units); "above" moves
      // it by font.vadjust to end just over the mark.
      var below = p.y + r + LABEL_PX / 2 + 4 * scale;
      var shift = -(2 * r + LABEL_PX / 2 + 4 * scale + 3 + LABEL_PX * lines);
      var options = [[below, 0], [below + shift, shift]].map(function (pair) {
        return [[p.x - size.width / 2 - 3, pair[0] - 2, p.x + size.width / 2 + 3,
                 pair[0] + LABEL_PX * lines + 2], pair[1]];
      });
      var chosen = null;
      options.forEach(function (o) {
        if (!chosen && inside(o[0]) && !overlaps(o[0], placed) && !hitsMark(o[0], id)) { chosen = o; }
      });
      // The most linked entities are named even where their neighbours crowd them.
      if (!chosen && rank < 12) {
        options.forEach(function (o) {
          if (inside(o[0]) && !overlaps(o[0], placed)
              && (!chosen || markHits(o[0], id) < markHits(chosen[0], id))) { chosen = o; }
        });
      }
      if (!chosen) { return; }
      placed.push(chosen[0]);
      labelled[id] = text;
      placement[id] = chosen[1];
      count += 1;
    });
    var updates = [];
    state.labelled = [];
    state.visible.forEach(function (id) {
      if (labelled[id] !== undefined) {
        state.labelled.push(id);
        updates.push({ id: id, label: labelled[id],
                       font: { size: LABEL_PX / scale, vadjust: placement[id] / scale } });
      } else if (nodes.get(id).label !== "") {
        updates.push({ id: id, label: "" });
      }
    });
    nodes.update(updates);
    var relabelled = state.edgeLabels.filter(function (id) { return edgeText[id] === undefined; })
      .map(function (id) { return { id: id, label: "" }; });
    Object.keys(edgeText).forEach(function (id) {
      relabelled.push({ id: id, label: edgeText[id], font: { size: EDGE_LABEL_PX / scale } });
    });
    edges.update(relabelled.filter(function (u) { return edges.get(u.id); }));
    state.edgeLabels = Object.keys(edgeText);
    state.relabels += 1;
  }

  var relabelTimer = null;
  function relabelSoon() {
    if (relabelTimer !== null) { clearTimeout(relabelTimer); }
    relabelTimer = setTimeout(function () { relabelTimer = null; relabel(); }, 120);
  }
  network.on("zoom", relabelSoon);
  network.on("dragEnd", relabelSoon);
  network.on("animationFinished", relabelSoon);
  network.on("resize", relabelSoon);

  // ---- views -----------------------------------------------------------------------------

  function applyView(name) {
    state.view = name;
    state.expanded = {};
    var view = views[name];
    var moves = [];
    Object.keys(view.pos).forEach(function (id) {
      moves.push({ id: id, x: view.pos[id][0], y: view.pos[id][1] });
    });
    nodes.update(moves);
    rebuild();
    // Small views may be enlarged (up to 1.6×) to fill the canvas; labels keep their size.
    network.fit({ animation: false, maxZoomLevel: 1.6 });
    relabel();
    viewMenu.value = name;
    viewNote.textContent = view.description;
  }

  function setOpen(group, open) {
    state.expanded[group] = open;
    state.unfolded = open ? group : null;
    if (open) {
      // Members go where the view placed them, relative to where the group is now.
      var view = views[state.view];
      var here = network.getPositions([group])[group];
      var home = view.pos[group];
      if (here && home) {
        nodes.update(records[group].members.filter(function (m) { return view.pos[m]; })
          .map(function (m) {
            return { id: m, x: here.x + view.pos[m][0] - home[0],
                     y: here.y + view.pos[m][1] - home[1] };
          }));
      }
    }
    rebuild();
    relabel();
    if (open) {
      // Bring the unfolded chips into view: in a crowded graph they would be specks.
      var shown = records[group].members.filter(function (m) { return current[m]; });
      network.fit({ nodes: [group].concat(shown), maxZoomLevel: 1.2,
                    animation: { duration: 300, easingFunction: "easeInOutQuad" } });
    }
  }

  function liveMembers(group) {
    return records[group].members.filter(function (m) { return wanted(m); }).length;
  }

  // ---- side panel ------------------------------------------------------------------------

  var details = document.getElementById("kg-details");
  var edgeRecords = {};
  data.edges.forEach(function (e) { edgeRecords[e.id] = e; });

  function linkList(id) {
    var items = [];
    data.edges.forEach(function (e) {
      if (e.from === id) { items.push([e.label + " → ", e.to]); }
      if (e.to === id) { items.push(["← " + e.label + " · ", e.from]); }
    });
    return items;
  }

  function showNode(id) {
    details.replaceChildren();
    details.appendChild(el("h2", null, "Selected · 已选"));
    var n = records[id];
    details.appendChild(nodeTip(n));
    if (n.members) {
      var open = isOpen(id);
      var live = liveMembers(id);
      var button = el("button", "kg-fold", open
        ? "Fold the " + live + " chips · 折叠"
        : "Show the " + live + " chips · 展开");
      button.type = "button";
      button.addEventListener("click", function () { setOpen(id, !open); showNode(id); });
      details.appendChild(button);
    }
    var links = n.members && n.synthetic
      ? n.members.map(function (m) { return ["", m]; })
      : linkList(id);
    if (links.length) {
      details.appendChild(el("div", "head", (n.synthetic ? "Chips · 芯片" : "Links · 关系")
        + " (" + links.length + ")"));
      var list = el("ul", "kg-links");
      links.slice(0, 40).forEach(function (pair) {
        var item = el("li", null, pair[0]);
        var target = el("span", "kg-link", labelFor(records[pair[1]], "both").replace("\n", " · "));
        target.addEventListener("click", function () { reveal(pair[1]); });
        item.appendChild(target);
        list.appendChild(item);
      });
      if (links.length > 40) { list.appendChild(el("li", "meta", "+" + (links.length - 40) + " more")); }
      details.appendChild(list);
    }
  }

  function showElement(element) {
    details.replaceChildren();
    if (element) {
      details.appendChild(el("h2", null, "Selected · 已选"));
      details.appendChild(element);
    } else {
      details.appendChild(el("p", "kg-hint", "Click an entity for its names, figures, sources "
        + "and links; click a chip family marked [+n] to unfold its chips. Zoom in for more "
        + "names. · 点击实体查看详情;点击带 [+n] 的芯片系列展开。"));
    }
  }

  // Show an entity even when the view, a toggle or a fold hides it.
  function reveal(id) {
    var n = records[id];
    if (!inView(id)) { applyView(data.views[0].name); }
    if (n.cat && !state.catalogue) { catalogueBox.checked = true; state.catalogue = true; }
    if (n.ref && !state.reference) { referenceBox.checked = true; state.reference = true; }
    if (hiddenClass[n.cls] && boxes[n.cls]) { boxes[n.cls].checked = true; hiddenClass[n.cls] = false; }
    if (groupOf[id] && !isOpen(groupOf[id])) { state.expanded[groupOf[id]] = true; }
    rebuild();
    select(id, true);
  }

  function select(id, move) {
    if (current[id]) {
      network.selectNodes([id]);
      if (move) { network.focus(id, { scale: Math.max(network.getScale(), 1.0), animation: { duration: 300 } }); }
    }
    showNode(id);
    relabel();
  }

  network.on("click", function (params) {
    if (params.nodes.length) {
      var id = params.nodes[0];
      if (records[id].members) { setOpen(id, !isOpen(id)); }
      showNode(id);
      relabel();
    } else if (params.edges.length) {
      var e = edgeRecords[params.edges[0]];
      showElement(e ? edgeTip(e) : edges.get(params.edges[0]).title);
    } else {
      showElement(null);
    }
  });

  var counts = document.getElementById("kg-shown");
  function updateCounts() {
    var folded = Object.keys(foldedInto).length;
    counts.textContent = "showing " + state.visible.length + (folded ? " (+" + folded + " folded)" : "")
      + " · 显示 " + state.visible.length;
  }

  var viewMenu = document.getElementById("kg-view");
  var viewNote = document.getElementById("kg-view-note");
  data.views.forEach(function (view) {
    var option = el("option", null, view.title + " · " + view.titleZh);
    option.value = view.name;
    viewMenu.appendChild(option);
  });
  viewMenu.addEventListener("change", function () {
    applyView(viewMenu.value);
    showElement(null);
  });

  var catalogueBox = document.getElementById("kg-catalogue");
  var referenceBox = document.getElementById("kg-reference");
  var catalogueCount = data.nodes.filter(function (n) { return n.cat; }).length;
  var referenceCount = data.nodes.filter(function (n) { return n.ref; }).length;
  document.getElementById("kg-catalogue-count").textContent = catalogueCount;
  document.getElementById("kg-reference-count").textContent = referenceCount;
  catalogueBox.checked = state.catalogue;
  catalogueBox.addEventListener("change", function () {
    state.catalogue = catalogueBox.checked;
    rebuild();
    relabel();
  });
  referenceBox.addEventListener("change", function () {
    state.reference = referenceBox.checked;
    rebuild();
    relabel();
  });

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

  function syncClasses() {
    state.hiddenClasses = Object.keys(boxes).filter(function (key) { return !boxes[key].checked; });
    hiddenClass = {};
    state.hiddenClasses.forEach(function (key) { hiddenClass[key] = true; });
    rebuild();
    relabel();
  }
  function setClass(cls, visible) { boxes[cls].checked = visible; syncClasses(); }
  function setAll(visible) {
    Object.keys(boxes).forEach(function (cls) { boxes[cls].checked = visible; });
    syncClasses();
  }
  document.getElementById("kg-all").addEventListener("click", function () { setAll(true); });
  document.getElementById("kg-none").addEventListener("click", function () { setAll(false); });

  document.getElementById("kg-lang").addEventListener("change", function (event) {
    state.lang = event.target.value;
    relabel();
  });

  function norm(text) { return String(text).normalize("NFKC").toLowerCase(); }
  var index = data.nodes.filter(function (n) { return !n.synthetic; }).map(function (n) {
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
      item.addEventListener("click", function () { reveal(id); });
      results.appendChild(item);
    });
    network.selectNodes(hits.filter(function (id) { return current[id] === true; }));
  }
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && state.matches.length) { reveal(state.matches[0]); }
  });

  // ---- opening -------------------------------------------------------------------------------

  applyView(state.view);
  showElement(null);
  if (data.focus && records[data.focus]) { select(data.focus, false); }
  network.once("afterDrawing", function () {
    state.drawn = true;
    state.drawnAt = performance.now();
    state.stable = true;
    state.stableAt = state.drawnAt;
  });
  network.redraw();
  state.ready = true;
}());
