// The need form's suggestion column follows what is typed: daily use × target days − on hand,
// rounded up to whole packs. Plain script, no library; the form works without it.
(function () {
  "use strict";
  var days = Number(document.body.dataset.targetDays || "3");
  var table = document.querySelector(".need-table");
  if (!table) { return; }
  days = Number(table.dataset.targetDays || days);
  // Whole numbers as the server reads them: "1 000" is 1000, empty is 0, anything else NaN.
  function whole(raw) {
    var text = (raw || "").replace(/[\u00a0\u202f\u2009]/g, " ").trim();
    if (text === "") { return 0; }
    if (!/^(\d+|\d{1,3}( \d{3})+)$/.test(text)) { return NaN; }
    return Number(text.replace(/ /g, ""));
  }
  table.addEventListener("input", function (event) {
    var row = event.target.closest("tr[data-item]");
    if (!row) { return; }
    var code = row.dataset.item;
    var pack = Number(row.dataset.pack || "1");
    var use = whole(row.querySelector("[name=daily_use_" + code + "]").value);
    var held = whole(row.querySelector("[name=on_hand_" + code + "]").value);
    var cell = row.querySelector(".suggestion");
    // A figure the server would refuse ("1,5") gives no suggestion rather than a wrong one.
    if (!use || isNaN(held)) { cell.textContent = "–"; return; }
    var need = Math.max(0, use * days - held);
    cell.textContent = String(Math.ceil(need / pack) * pack);
  });
})();
