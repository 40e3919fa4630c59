/* Sealing page: a tap on the page preview moves the seal's outline there, and the outline
   can be dragged. Nothing is sealed until "确认在此盖章" posts the outline's place.
   Without this script the same works by reloading the page (the preview is an image
   button in a GET form). Coordinates are preview pixels, as the server expects. */
(function () {
  "use strict";
  var place = document.getElementById("seal-place");
  var confirm = document.getElementById("seal-confirm");
  if (!place || !confirm) { return; }
  var image = place.querySelector("input.page-preview");
  var stage = place.querySelector(".seal-stage");
  var circle = place.querySelector("svg.seal-outline circle");
  var atX = confirm.querySelector("input[name=at_x]");
  var atY = confirm.querySelector("input[name=at_y]");
  var button = confirm.querySelector("button[name=confirm]");
  var where = document.getElementById("seal-where");
  var moved = where ? where.getAttribute("data-moved") : "";
  stage.classList.add("js-drag");

  function put(x, y) {
    var w = parseInt(image.getAttribute("width"), 10);
    var h = parseInt(image.getAttribute("height"), 10);
    x = Math.round(Math.min(Math.max(x, 0), w));
    y = Math.round(Math.min(Math.max(y, 0), h));
    circle.setAttribute("cx", String(x));
    circle.setAttribute("cy", String(y));
    circle.setAttribute("visibility", "visible");
    atX.value = String(x);
    atY.value = String(y);
    button.hidden = false;
    if (where && moved) { where.textContent = moved; }
  }
  function local(event) {
    var box = image.getBoundingClientRect();
    return [event.clientX - box.left - image.clientLeft, event.clientY - box.top - image.clientTop];
  }
  image.addEventListener("click", function (event) {
    event.preventDefault();
    var p = local(event);
    put(p[0], p[1]);
  });
  var dragging = false;
  circle.addEventListener("pointerdown", function (event) {
    dragging = true;
    circle.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  circle.addEventListener("pointermove", function (event) {
    if (!dragging) { return; }
    var p = local(event);
    put(p[0], p[1]);
  });
  function stop() { dragging = false; }
  circle.addEventListener("pointerup", stop);
  circle.addEventListener("pointercancel", stop);
})();
