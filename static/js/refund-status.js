// templates/registrations/refunds/registrant.html (loaded with defer).
// Follow a refund until Stripe answers, without a reload (the page works without it).
// The banner, the summary and the refund rows come from one reading of the
// rows, so the page never says "waiting" beside "Succeeded". Only the banner is a
// live region (role="status"): it says what happened once; the rows and the
// summary change silently, or a screen reader would hear it twice.
(function () {
  var box = document.getElementById("refund-status");
  if (!box || !box.hasAttribute("data-waiting") || !window.fetch) return;
  var parts = {html: box, state: document.getElementById("refund-state"),
               banner: document.getElementById("refund-banner")};
  var last = {};
  var tries = 0;
  function show(answer) {
    Object.keys(parts).forEach(function (key) {
      // An unchanged part is left alone: the banner would be read again.
      if (parts[key] && typeof answer[key] === "string" && answer[key] !== last[key]) {
        parts[key].innerHTML = answer[key];
        last[key] = answer[key];
      }
    });
  }
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer) return;
        show(answer);
        if (answer.waiting && ++tries < 40) setTimeout(poll, Math.min(1000 * tries, 10000));
      });
  }
  setTimeout(poll, 1000);
})();
