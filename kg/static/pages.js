// The entity pages need no script; this only sends /ontology#term to /ontology/term (the
// fragment never reaches the server), so that both addresses of a term show its own page.
(function () {
  "use strict";
  var hash = window.location.hash.slice(1);
  if (window.location.pathname === "/ontology" && /^[A-Za-z][A-Za-z0-9_-]*$/.test(hash)) {
    window.location.replace("/ontology/" + hash);
  }
})();
