/* Live subsidy amount while the resident types. The server recomputes it on submission;
   this is only a preview. Money in cents (integers), so 0.1 + 0.2 never shows up. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-subsidy]");
  if (!form) { return; }
  var cfg = JSON.parse(form.getAttribute("data-subsidy"));
  var out = document.getElementById("amount");
  function cents(text) {
    /* As the server reads it: full-width digits folded, spaces and a trailing unit dropped. */
    var t = String(text || "").normalize("NFKC").replace(/\s+/g, "").replace(/[亩元茬]$/, "");
    var m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(t);
    if (!m) { return null; }
    return parseInt(m[1], 10) * 100 + parseInt(((m[2] || "") + "00").slice(0, 2), 10);
  }
  function value(key) {
    var el = form.elements[key];
    if (el) {
      if (el.length && !el.tagName) {
        for (var i = 0; i < el.length; i++) { if (el[i].checked) { return el[i].value; } }
        return "";
      }
      return el.value;
    }
    return cfg.known[key] || "";
  }
  function rateCents() {
    if (cfg.rule === "per_crop_area") {
      var n = parseInt(value(cfg.count), 10);
      if (!(n >= 1 && n <= cfg.rates.length)) { return null; }
      var sum = 0;
      for (var i = 0; i < n; i++) { sum += cents(String(cfg.rates[i])); }
      return sum;
    }
    var r = cfg.rates[value(cfg.choice)];
    return r === undefined ? null : cents(String(r));
  }
  var formula = document.getElementById("formula");
  function perCropAreas() {
    /* Each crop its own area; a later crop's blank area counts as the first crop's. */
    var n = parseInt(value(cfg.count), 10);
    var first = cents(value(cfg.crop_areas[0]));
    if (!(n >= 1 && n <= cfg.rates.length) || first === null || first < cents(cfg.min)) { return null; }
    var total = 0;
    for (var i = 0; i < n; i++) {
      var own = i < cfg.crop_areas.length ? cents(value(cfg.crop_areas[i])) : null;
      total += (own === null ? first : own) * cents(String(cfg.rates[i]));
    }
    return Math.round(total / 100);
  }
  function show() {
    if (cfg.rule === "per_crop_area" && cfg.crop_areas && cfg.crop_areas.length) {
      var sum = perCropAreas();
      out.textContent = sum === null ? "—" : Math.floor(sum / 100) + "." + String(100 + (sum % 100)).slice(1) + " 元";
      return;
    }
    var area = cents(value(cfg.area));
    var rate = rateCents();
    if (area === null || rate === null || area < cents(cfg.min)) { out.textContent = "—"; return; }
    var total = Math.round(area * rate / 100);
    out.textContent = Math.floor(total / 100) + "." + String(100 + (total % 100)).slice(1) + " 元";
  }
  function changed() {
    if (formula) { formula.textContent = ""; }  /* the worked amount is redrawn by the server */
    show();
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  /* After a refused answer the amount waits until the person corrects it. */
  if (!form.querySelector("[role=alert]")) { show(); }
}());
