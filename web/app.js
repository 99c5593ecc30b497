// Reads the session token from the address fragment, removes it from the address bar, and
// keeps it only in memory (never localStorage or cookies). The full ChatKit host and the
// built-in client build on this.
const token = new URLSearchParams(location.hash.slice(1)).get("token");
if (token) history.replaceState(null, "", location.pathname + location.search);

const status = document.getElementById("status");
const list = document.getElementById("threads");

export async function chatkit(type, params = {}) {
  const res = await fetch("/chatkit/api", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ type, params }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

async function main() {
  if (!token) {
    status.textContent = "No access token in the address. Open the address chatkit-desktop printed at start.";
    status.className = "error";
    return;
  }
  try {
    const page = await chatkit("threads.list", { limit: 20, order: "desc" });
    status.textContent = page.data.length ? "Connected." : "Connected. No threads yet.";
    for (const thread of page.data) {
      const li = document.createElement("li");
      li.textContent = `${thread.title ?? "Untitled"} — ${new Date(thread.created_at).toLocaleString()}`;
      list.append(li);
    }
  } catch (err) {
    status.textContent = `Could not reach the server: ${err.message}`;
    status.className = "error";
  }
}

main();
