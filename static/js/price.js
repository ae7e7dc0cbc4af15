// The price block of the registration page, templates/registrations/_price.html
// (loaded with defer, so it runs once the whole form, button included, is parsed).
// The "Apply" button only works with script: show it (formerly inline in register.html).
(function () {
  var apply = document.getElementById("discount-code-apply");
  if (apply) { apply.removeAttribute("hidden"); }
})();
(function () {
  var block = document.getElementById("price-block");
  var input = document.querySelector("input[name=discount_code]");
  var button = document.getElementById("discount-code-apply");
  if (!block || !input || !button) { return; }
  var amount = document.getElementById("price-amount");
  var submit = document.getElementById("register-submit");
  var note = document.getElementById("register-pay-note");
  // The price shown before any code: restored when a code is invalid or cleared.
  var initial = {text: amount.textContent, paid: !!(submit && submit.dataset.paid === "true")};
  function showPrice(text, paid) {
    amount.textContent = text;
    if (submit) { submit.textContent = paid ? submit.dataset.paidLabel : submit.dataset.freeLabel; }
    if (note) { note.hidden = !paid; }
  }
  function apply() {
    var message = document.getElementById("price-code-message");
    if (!input.value.trim()) {
      message.textContent = "";
      showPrice(initial.text, initial.paid);
    }
    var url = block.dataset.codeCheckUrl + "?code=" + encodeURIComponent(input.value);
    if (block.dataset.language) { url += "&lang=" + encodeURIComponent(block.dataset.language); }
    fetch(url, {headers: {"Accept": "application/json"}}).then(function (r) { return r.json(); }).then(function (data) {
      message.textContent = data.message || "";
      if (data.valid) {
        showPrice(data.amount === 0 ? block.dataset.freeLabel : data.display, data.amount > 0);
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
