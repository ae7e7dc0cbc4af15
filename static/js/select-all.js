// The registrant list's "select every registrant on this page" box
// (templates/registrations/console/registrants.html, loaded with defer).
// The page works without it: each row has its own box, tied to the bulk form.
// The header box shows whether none, some (indeterminate: "mixed" to
// assistive technology) or all of the rows shown are ticked.
(function () {
  var all = document.getElementById("select-all");
  var rows = document.getElementById("registrant-rows");
  if (!all || !rows) { return; }
  var boxes = Array.prototype.slice.call(rows.querySelectorAll("input[type=checkbox][name=ids]"));
  if (!boxes.length) { return; }
  function update() {
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
    all.indeterminate = false;
  });
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  // The browser restores ticked boxes on "back" (and from its page cache).
  window.addEventListener("pageshow", update);
  update();
  all.closest(".select-all").hidden = false;
})();
