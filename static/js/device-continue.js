// templates/registrations/device_continue.html (loaded with defer).
// Real browsers go on by themselves; mail link scanners run no script.
window.addEventListener("load", function () {
  document.getElementById("device-continue").submit();
});
