// The static site has no server to search, so its index filters itself: every entity's names
// (all scripts and spellings, as the server's search knows them) are in the page already.
// The search box of every page sends ?q=… to the index, which starts filtered.
(function () {
  "use strict";
  var input = document.getElementById("filter");
  if (!input) return;
  var items = Array.prototype.slice.call(document.querySelectorAll(".index-class li"));
  var sections = Array.prototype.slice.call(document.querySelectorAll(".index-class"));
  var count = document.getElementById("filter-count");
  // Case, spaces and punctuation do not count: "MI300X", "mi 300x" and "Mi-300X" are one name.
  function key(text) {
    return text.toLowerCase().replace(/[\s\-_.,:;·'"()\/]+/g, "");
  }
  var keys = items.map(function (item) { return key(item.getAttribute("data-names") || ""); });

  function apply() {
    var wanted = key(input.value);
    var shown = 0;
    items.forEach(function (item, i) {
      var match = !wanted || keys[i].indexOf(wanted) !== -1;
      item.hidden = !match;
      if (match) shown += 1;
    });
    sections.forEach(function (section) {
      section.hidden = !section.querySelector("li:not([hidden])");
    });
    count.textContent = wanted
      ? shown + (shown === 1 ? " entity matches" : " entities match")
      : "";
  }

  input.hidden = false;
  input.value = new URLSearchParams(window.location.search).get("q") || "";
  input.addEventListener("input", apply);
  apply();
})();
