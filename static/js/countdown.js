// The countdown to the room's opening on templates/registrations/join.html (loaded with defer).
// Unit labels come from the catalogue (data-units: each unit's [singular, plural]
// with "%(count)s"); Intl.PluralRules picks the form in the page's language.
(function () {
  var el = document.getElementById("countdown");
  if (!el) { return; }
  var units = JSON.parse(el.dataset.units || "{}");
  var lang = document.documentElement.lang || "en";
  var rules = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang) : null;
  var end = Date.now() + parseInt(el.dataset.seconds, 10) * 1000;
  function label(unit, count) {
    var forms = units[unit];
    if (!forms) { return String(count); }
    var one = rules ? rules.select(count) === "one" : count === 1;
    return forms[one ? 0 : 1].replace("%(count)s", count);
  }
  function text(s) {
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    var parts = [];
    if (d) { parts.push(label("day", d)); }
    if (d || h) { parts.push(label("hour", h)); }
    parts.push(label("minute", m));
    // Seconds only in the last hour, when they matter.
    if (!d && !h) { parts.push(label("second", s % 60)); }
    return parts.join(" ");
  }
  function tick() {
    var s = Math.max(0, Math.round((end - Date.now()) / 1000));
    el.textContent = text(s);
    if (s === 0) { window.location.reload(); } else { setTimeout(tick, 1000); }
  }
  tick();
})();
