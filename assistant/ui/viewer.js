// The source viewer's script (gr.HTML js_on_load): a click on a citation link anywhere on the
// page asks the server for the article with the cited span marked, shows it here, and scrolls
// the mark into view. `element`, `props` and `server` are provided by gr.HTML.
(() => {
  const CITE = 'a[href^="#cite="]';

  async function open(link) {
    element.dataset.state = "loading";
    try {
      props.value = await server.open_citation(link.getAttribute("href"));
    } catch (err) {
      props.value = '<div class="notice"><p>Could not open this source; try again.</p></div>';
    }
    // The template re-renders after the value changes: wait a frame before looking for the mark.
    requestAnimationFrame(() => {
      const mark = element.querySelector("mark#cited");
      if (mark) mark.scrollIntoView({ block: "center", behavior: "instant" });
      element.dataset.state = mark ? "cited" : "plain";
    });
  }

  function onClick(event) {
    const link = event.target instanceof Element ? event.target.closest(CITE) : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    document.querySelectorAll("a.active-cite").forEach((a) => a.classList.remove("active-cite"));
    link.classList.add("active-cite");
    open(link);
  }

  // One listener per page, even if this component mounts again.
  if (window.__newsAssistantCite) {
    document.removeEventListener("click", window.__newsAssistantCite, true);
  }
  window.__newsAssistantCite = onClick;
  document.addEventListener("click", onClick, true);
})();
