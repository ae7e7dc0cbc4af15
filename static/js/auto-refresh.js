// Pages that wait for something (templates/registrations/complete.html while a
// payment is confirmed). Instead of a <meta http-equiv="refresh"> (which reloads
// under a screen reader's feet: axe rule meta-refresh, WCAG 2.2.1), check the
// page every data-seconds and reload only once the [data-refresh-watch] part
// has changed. Loaded with defer; the page keeps a "Refresh now" link.
(function () {
  var script = document.currentScript;
  var seconds = parseInt(script && script.dataset.seconds, 10);
  var watched = document.querySelector("[data-refresh-watch]");
  if (!seconds || !watched || !window.fetch || !window.DOMParser) { return; }
  function later() { setTimeout(check, seconds * 1000); }
  function check() {
    fetch(window.location.href, {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { later(); return; }
        var fresh = new DOMParser().parseFromString(html, "text/html")
          .querySelector("[data-refresh-watch]");
        if (!fresh || fresh.innerHTML !== watched.innerHTML) {
          window.location.reload();
        } else {
          later();
        }
      })
      .catch(later);
  }
  later();
})();
