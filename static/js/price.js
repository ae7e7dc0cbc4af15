// The price block of the registration page, templates/registrations/_price.html
// (loaded with defer, so it runs once the whole form, button included, is parsed).
// Without script, "Apply" submits the form and the server renders the page priced
// with the code; with script, it asks the code-check endpoint and updates in place.
// "Apply" is the form's first submit button, so Enter in a field would press it
// (implicit submission): Enter in the code field applies the code (or, with no
// code, registers), Enter in any other field registers with the register button.
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
  var tierEnd = document.getElementById("price-tier-end");
  // `tierEnds`: false when a code sets the price, so the early-bird deadline
  // no longer applies (undefined: the price without a code).
  function showPrice(text, paid, minor, tierEnds) {
    amount.textContent = text;
    // The series total (series-total.js) follows the price per session.
    block.dispatchEvent(new CustomEvent("pricechange", {detail: {amount: minor === undefined ? initial.amount : minor}}));
    if (submit) { submit.textContent = paid ? submit.dataset.paidLabel : submit.dataset.freeLabel; }
    paidOnly.forEach(function (line) { line.hidden = !paid; });
    if (tierEnd && tierEnds === false) { tierEnd.hidden = true; }
  }
  var message = document.getElementById("price-code-message");
  // What is said about the code itself goes beside its field, where the server
  // puts a refusal (templates/registrations/_form_fields.html): the field's
  // polite live region, holding the same list with the same id.
  var feedback = document.getElementById(input.id + "_feedback");
  var errorId = input.id + "_error";
  var describedBy = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
    return id && id !== errorId;
  });
  // `invalid`: the message says the code is invalid (the field is marked so);
  // otherwise it only asks for something (a code first, a minute's wait).
  function showCodeError(text, invalid) {
    // The price's own line says nothing more: one message, read once.
    message.textContent = "";
    if (!feedback) { return; }
    var list = document.createElement("ul");
    list.className = "errorlist";
    list.id = errorId;
    var item = document.createElement("li");
    item.textContent = text;
    list.appendChild(item);
    feedback.replaceChildren(list);
    input.setAttribute("aria-describedby", describedBy.concat([errorId]).join(" "));
    if (invalid) { input.setAttribute("aria-invalid", "true"); }
  }
  function clearCodeError() {
    if (feedback) { feedback.replaceChildren(); }
    input.removeAttribute("aria-invalid");
    if (describedBy.length) {
      input.setAttribute("aria-describedby", describedBy.join(" "));
    } else {
      input.removeAttribute("aria-describedby");
    }
  }
  function apply() {
    clearCodeError();
    if (!input.value.trim()) {
      showCodeError(block.dataset.emptyCodeMessage || "", false);
      showPrice(initial.text, initial.paid);
      return;
    }
    var url = block.dataset.codeCheckUrl + "?code=" + encodeURIComponent(input.value);
    if (block.dataset.language) { url += "&lang=" + encodeURIComponent(block.dataset.language); }
    fetch(url, {headers: {"Accept": "application/json"}}).then(function (r) {
      return r.json().then(function (data) { return {judged: r.ok, data: data}; });
    }).then(function (answer) {
      var data = answer.data;
      if (data.valid) {
        message.textContent = data.message || "";
        showPrice(data.amount === 0 ? block.dataset.freeLabel : data.display, data.amount > 0, data.amount, !!data.tier_ends);
      } else {
        // A 429 says nothing about the code itself.
        showCodeError(data.message || "", answer.judged);
        showPrice(initial.text, initial.paid);
      }
    });
  }
  var form = input.form;
  function register() {
    if (!form || !submit) { return; }
    if (form.requestSubmit) { form.requestSubmit(submit); } else { submit.click(); }
  }
  // Enter in these would not submit the form (or they are buttons themselves).
  var noImplicitSubmit = ["button", "submit", "reset", "image", "file"];
  function isEnter(event) {
    return event.key === "Enter" && !event.isComposing && !event.defaultPrevented;
  }
  button.addEventListener("click", function (event) { event.preventDefault(); apply(); });
  input.addEventListener("input", clearCodeError);
  input.addEventListener("keydown", function (event) {
    if (!isEnter(event)) { return; }
    event.preventDefault();
    if (input.value.trim()) { apply(); } else { register(); }
  });
  if (form) {
    form.addEventListener("keydown", function (event) {
      var field = event.target;
      if (field === input || !isEnter(event) || field.tagName !== "INPUT" ||
          noImplicitSubmit.indexOf(field.type) !== -1) { return; }
      event.preventDefault();
      register();
    });
  }
})();
