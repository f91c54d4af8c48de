// The need form's suggestion column follows what is typed: daily use × target days − on hand,
// rounded up to whole packs. Plain script, no library; the form works without it.
(function () {
  "use strict";
  var days = Number(document.body.dataset.targetDays || "3");
  var table = document.querySelector(".need-table");
  if (!table) { return; }
  days = Number(table.dataset.targetDays || days);
  table.addEventListener("input", function (event) {
    var row = event.target.closest("tr[data-item]");
    if (!row) { return; }
    var code = row.dataset.item;
    var pack = Number(row.dataset.pack || "1");
    var use = Number(row.querySelector("[name=daily_use_" + code + "]").value || "0");
    var held = Number(row.querySelector("[name=on_hand_" + code + "]").value || "0");
    var cell = row.querySelector(".suggestion");
    if (!use) { cell.textContent = "–"; return; }
    var need = Math.max(0, use * days - held);
    cell.textContent = String(Math.ceil(need / pack) * pack);
  });
})();
