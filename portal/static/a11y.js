// A table too wide for the screen scrolls inside its .table-wrap: keyboard users reach it too
// (focusable, named by its table's caption or first header), WCAG 2.1.1.
document.querySelectorAll(".table-wrap").forEach(function (wrap) {
  if (!wrap.hasAttribute("tabindex")) wrap.setAttribute("tabindex", "0");
  if (!wrap.hasAttribute("role")) wrap.setAttribute("role", "region");
  if (!wrap.hasAttribute("aria-label")) {
    var head = wrap.querySelector("caption, th");
    wrap.setAttribute("aria-label", head ? head.textContent.trim() : document.title);
  }
});
