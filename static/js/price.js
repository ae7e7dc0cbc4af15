// The price block of the registration page, templates/registrations/_price.html
// (loaded with defer, so it runs once the whole form, button included, is parsed).
// Without script, "Apply" submits the form and the server renders the page priced
// with the code; with script, it asks the code-check endpoint and updates in place.
(function () {
  var block = document.getElementById("price-block");
  var input = document.querySelector("input[name=discount_code]");
  var button = document.getElementById("discount-code-apply");
  if (!block || !input || !button) { return; }
  var amount = document.getElementById("price-amount");
  var submit = document.getElementById("register-submit");
  // Lines that only make sense when there is something to pay: the Stripe note,
  // the early-bird deadline, the refund policy.
  var paidOnly = ["register-pay-note", "price-tier-end", "refund-policy"].map(function (id) {
    return document.getElementById(id);
  }).filter(Boolean);
  // The price shown before any code: restored when a code is invalid or cleared.
  var initial = {
    text: amount.textContent,
    paid: !!(submit && submit.dataset.paid === "true"),
    amount: parseInt(block.dataset.amount, 10) || 0
  };
  function showPrice(text, paid, minor) {
    amount.textContent = text;
    // The series total (series-total.js) follows the price per session.
    block.dispatchEvent(new CustomEvent("pricechange", {detail: {amount: minor === undefined ? initial.amount : minor}}));
    if (submit) { submit.textContent = paid ? submit.dataset.paidLabel : submit.dataset.freeLabel; }
    paidOnly.forEach(function (line) { line.hidden = !paid; });
  }
  function apply() {
    var message = document.getElementById("price-code-message");
    if (!input.value.trim()) {
      message.textContent = "";
      showPrice(initial.text, initial.paid);
      return;
    }
    var url = block.dataset.codeCheckUrl + "?code=" + encodeURIComponent(input.value);
    if (block.dataset.language) { url += "&lang=" + encodeURIComponent(block.dataset.language); }
    fetch(url, {headers: {"Accept": "application/json"}}).then(function (r) { return r.json(); }).then(function (data) {
      message.textContent = data.message || "";
      if (data.valid) {
        showPrice(data.amount === 0 ? block.dataset.freeLabel : data.display, data.amount > 0, data.amount);
      } else {
        showPrice(initial.text, initial.paid);
      }
    });
  }
  button.addEventListener("click", function (event) { event.preventDefault(); apply(); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); apply(); }
  });
})();
