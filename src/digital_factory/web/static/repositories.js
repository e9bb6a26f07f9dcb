// The repository browser: "Copy" buttons copy the text of the field they name (data-copy="#id").
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copy);
  const status = button.parentElement.querySelector("[data-copy-status]");
  if (!field) return;
  let copied = false;
  try {
    await navigator.clipboard.writeText(field.value);
    copied = true;
  } catch (_) {
    field.select();  // no clipboard access (plain http): select it so Ctrl+C copies it
  }
  if (status) status.textContent = copied ? "Copied" : "Selected: press Ctrl+C to copy";
});
