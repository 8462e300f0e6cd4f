// The end screen's receipt: each problem's latest submitted version, when the server received
// it and the SHA-256 of its code, as the server stored them (or, if it cannot be reached,
// what this page submitted, hashed here).

const $ = (id) => document.getElementById(id);

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export async function showReceipt({ api, session, view }) {
  const problems = (session && session.exam && session.exam.problems) || [];
  let rows = [];
  try {
    const data = await api.get(`/submissions/submissions?session_id=${session.id}&latest=true`);
    rows = (Array.isArray(data) ? data : data.results || []).map((item) => ({
      problemId: item.problem_id,
      version: item.version,
      at: item.created_at,
      sha256: item.sha256,
    }));
  } catch {
    if (view) {
      for (const entry of view.editors.values()) {
        if (!entry.submitted) continue;
        rows.push({
          problemId: entry.problem.id,
          version: entry.submitted.version,
          at: entry.submitted.submitted_at,
          sha256: await sha256Hex(entry.submitted.code),
        });
      }
    }
  }
  const body = $("receipt-rows");
  body.replaceChildren();
  for (const problem of problems) {
    const row = rows.find((item) => item.problemId === problem.id);
    const tr = document.createElement("tr");
    const cells = row
      ? [problem.title, `Version ${row.version}`, new Date(row.at).toLocaleString(), row.sha256]
      : [problem.title, "Nothing submitted", "", ""];
    cells.forEach((text, index) => {
      const cell = document.createElement(index === 0 ? "th" : "td");
      if (index === 0) cell.scope = "row";
      if (index === 3 && text) {
        const code = document.createElement("code");
        code.textContent = text;
        cell.append(code);
      } else {
        cell.textContent = text;
      }
      tr.append(cell);
    });
    body.append(tr);
  }
  $("receipt").hidden = problems.length === 0;
}
