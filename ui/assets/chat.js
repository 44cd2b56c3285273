// seedqa web chat: the page script, run once by the hidden bridge component (js_on_load).
// It turns clicks on the chat's own buttons into one "action" event for the server,
// and does what needs no server: [n] opens and shows its card, Copy copies the answer.
// `trigger` is the bridge's event function, given by Gradio.
if (!window.__seedqa) {
  window.__seedqa = true;
  const numberAfter = (el, prefix) => {
    for (const name of el.classList) {
      if (name.startsWith(prefix)) return parseInt(name.slice(prefix.length), 10);
    }
    return null;
  };
  const turnOf = (el) => {
    const answer = el.closest(".seedqa-answer");
    return answer && answer.id.startsWith("seedqa-turn-") ? answer.id.slice(12) : null;
  };
  const flash = (el) => {
    el.classList.add("seedqa-flash");
    setTimeout(() => el.classList.remove("seedqa-flash"), 1600);
  };
  const showCard = (ref) => {
    const answer = ref.closest(".seedqa-answer");
    const card = answer && answer.querySelector(".seedqa-card-" + numberAfter(ref, "seedqa-ref-"));
    if (!card) return;
    card.open = true;
    card.scrollIntoView({ block: "nearest", behavior: "smooth" });
    flash(card);
  };
  const copyText = async (text, button) => {
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    window.__seedqaCopied = text;
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => (button.textContent = label), 1500);
  };
  const act = (el) => {
    const turn = turnOf(el);
    if (el.classList.contains("seedqa-ref")) return showCard(el);
    if (el.classList.contains("seedqa-act-copy")) {
      const source = el.closest(".seedqa-answer").querySelector(".seedqa-copytext");
      return copyText(source ? source.textContent : "", el);
    }
    if (!turn) return;
    if (el.classList.contains("seedqa-open-source")) {
      const cited = numberAfter(el, "seedqa-src-");
      const hit = numberAfter(el, "seedqa-hitsrc-");
      return trigger("action", { kind: "source", turn, n: cited ?? hit, which: cited !== null ? "cite" : "hit" });
    }
    for (const kind of ["retry", "up", "down"]) {
      if (el.classList.contains("seedqa-act-" + kind)) {
        el.classList.add("seedqa-act-busy");
        return trigger("action", { kind, turn });
      }
    }
  };
  const target = (event) => event.target.closest(".seedqa-ref, .seedqa-act, .seedqa-open-source");
  document.addEventListener("click", (event) => {
    const el = target(event);
    if (!el) return;
    event.preventDefault();
    act(el);
  });
  document.addEventListener("keydown", (event) => {
    const el = (event.key === "Enter" || event.key === " ") && target(event);
    if (el && el.classList.contains("seedqa-ref")) {
      event.preventDefault();
      act(el);
    }
  });
  window.__seedqaFocusViewer = () => {
    let tries = 0;
    const look = () => {
      const mark = document.querySelector("#seedqa-viewer .seedqa-hl-focus");
      if (mark) {
        mark.scrollIntoView({ block: "center" });
        return;
      }
      if (++tries < 50) setTimeout(look, 100);
    };
    look();
  };
}
