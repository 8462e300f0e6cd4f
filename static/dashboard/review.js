// Session review page: click a frame to see it full size; "select all" for bulk verdicts.
(function () {
  "use strict";
  const dialog = document.getElementById("lightbox");
  document.addEventListener("click", function (event) {
    const link = event.target.closest("a[data-lightbox]");
    if (!link || !dialog || typeof dialog.showModal !== "function") return;
    event.preventDefault();
    const image = dialog.querySelector("img");
    image.src = link.href;
    image.alt = link.querySelector("img") ? link.querySelector("img").alt : "";
    dialog.showModal();
  });
  if (dialog) {
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();
    });
  }
  const all = document.getElementById("select-all-incidents");
  if (all) {
    all.addEventListener("change", function () {
      for (const box of document.querySelectorAll("input.incident-select")) {
        box.checked = all.checked;
      }
    });
  }
  const terminate = document.querySelector("form.terminate-form");
  if (terminate) {
    terminate.addEventListener("submit", function (event) {
      if (!window.confirm("Terminate this session now? The candidate's exam ends at once.")) {
        event.preventDefault();
      }
    });
  }
})();
