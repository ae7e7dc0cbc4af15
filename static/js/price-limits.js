// The regular price form of the console's payment section
// (templates/payments/pricing/section.html, payments/forms.py PriceForm).
// The hint under the amount states Stripe's limits in the currency chosen; the
// server writes it for the saved (or posted) currency, and the currency select
// carries the hint of every currency, in the page's language, in
// data-amount-help. Choosing another currency shows that currency's hint.
(function () {
  var selects = document.querySelectorAll("select[data-amount-help]");
  Array.prototype.forEach.call(selects, function (select) {
    var hint = document.getElementById(select.dataset.amountHelpFor);
    var texts;
    try { texts = JSON.parse(select.dataset.amountHelp); } catch (error) { return; }
    if (!hint) { return; }
    // Said again when it changes, politely: the amount may already be typed.
    hint.setAttribute("aria-live", "polite");
    select.addEventListener("change", function () {
      if (texts[select.value]) { hint.textContent = texts[select.value]; }
    });
  });
})();
