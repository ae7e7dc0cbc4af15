// The countdown to the room's opening on templates/registrations/join.html (loaded with defer).
(function () {
  var el = document.getElementById("countdown");
  var end = Date.now() + parseInt(el.dataset.seconds, 10) * 1000;
  function tick() {
    var s = Math.max(0, Math.round((end - Date.now()) / 1000));
    el.textContent = Math.floor(s / 86400) + " d " + Math.floor(s % 86400 / 3600) + " h " +
      Math.floor(s % 3600 / 60) + " min " + (s % 60) + " s";
    if (s === 0) { window.location.reload(); } else { setTimeout(tick, 1000); }
  }
  tick();
})();
