// The total of a series' registration page: the price per session times the
// sessions ticked (templates/registrations/register.html, #price-total). The
// price per session follows a code applied by price.js (its "pricechange" event).
(function () {
  var total = document.getElementById("price-total");
  var block = document.getElementById("price-block");
  if (!total || !block) { return; }
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name=session]"));
  var value = total.querySelector(".total-value");
  var unit = parseInt(total.dataset.unit, 10) || 0;
  var format = new Intl.NumberFormat(total.dataset.language || undefined, {
    style: "currency", currency: total.dataset.currency
  });
  function money(minor) { return format.format(minor / 100); }
  function update() {
    var count = boxes.filter(function (box) { return box.checked; }).length;
    total.hidden = !(count && unit);
    if (!total.hidden) {
      value.textContent = money(unit * count) + " (" + count + " × " + money(unit) + ")";
    }
  }
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  block.addEventListener("pricechange", function (event) { unit = event.detail.amount; update(); });
  update();
})();
