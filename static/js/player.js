// The recording player of templates/recordings/watch.html (loaded with defer).
(function () {
  var video = document.getElementById("player");
  var errorBox = document.getElementById("player-error");
  var resumeAt = parseFloat(video.dataset.start || "0");
  var live = !!video.dataset.live;
  var attempts = 0;
  video.addEventListener("loadedmetadata", function () {
    if (resumeAt > 0) {
      video.currentTime = Math.min(resumeAt, video.duration || resumeAt);
    }
    if (live) { video.play().catch(function () {}); }
  });
  // The media URL is bound to this device and short-lived: fetch one now,
  // and a fresh one whenever the current one stops working.
  function load() {
    if (attempts++ > 3) { return; }
    fetch(video.dataset.source, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.url) { video.src = data.url; return; }
        // data.error: the link refused; data.detail: the server busy (503).
        errorBox.textContent = data.error || data.detail || "";
        errorBox.hidden = false;
      });
  }
  video.addEventListener("error", function () {
    resumeAt = video.currentTime || resumeAt;
    load();
  });
  load();
})();
