// templates/registrations/refunds/registrant.html (loaded with defer).
// Follow a refund until Stripe answers, without a reload (the page works without it).
(function () {
  var box = document.getElementById("refund-status");
  if (!box || !box.hasAttribute("data-waiting") || !window.fetch) return;
  var tries = 0;
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer) return;
        box.innerHTML = answer.html;
        if (answer.waiting && ++tries < 40) setTimeout(poll, Math.min(1000 * tries, 10000));
      });
  }
  setTimeout(poll, 1000);
})();
