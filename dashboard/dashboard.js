// The operations dashboard: a plain script over the GraphQL API (HTTP for queries and mutations, graphql-ws for
// bulk progress). Elements are built with textContent only: nothing from the API is parsed as HTML.
"use strict";

const ENDPOINT = "/graphql";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("dashboard-token") || "";
let ws;
const watching = new Map(); // bulk operation id -> unsubscribe

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "onclick") el.addEventListener("click", v);
    else if (k === "width") el.style.width = v;
    else if (v !== undefined && v !== null) el.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

async function gql(query, variables) {
  const res = await fetch(ENDPOINT, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) {
    const e = body.errors[0];
    throw new Error(`${e.extensions?.code ?? "ERROR"}: ${e.message}`);
  }
  return body.data;
}

const count = (n) => Number(n).toLocaleString("en");
const time = (t) => (t ? new Date(t).toLocaleString("en-GB") : "");

// ------------------------------------------------------------------------------------------------ health

async function loadHealth() {
  const { healthReport: r } = await gql(`query DashboardHealth { healthReport {
    tables { table entityType liveRows { count exact } deletedRows { count exact } deletedRatio
             rowsPastRetention { count } deadTuples retentionDays }
    recommendations { severity kind message action }
    database { kind latencyMs pool { max total idle waiting } } } }`);
  const max = Math.max(1, ...r.tables.map((t) => t.liveRows.count + t.deletedRows.count));
  $("tables").replaceChildren(
    ...r.tables.map((t) => {
      const live = t.liveRows.count;
      const deleted = t.deletedRows.count;
      const expired = Math.min(deleted, t.rowsPastRetention.count);
      const pct = (n) => `${(100 * n) / max}%`;
      return h(
        "div",
        { class: "table-row", "data-table": t.table },
        h("strong", {}, t.entityType),
        h(
          "div",
          { class: "bar", title: `${count(live)} live, ${count(deleted)} deleted` },
          h("span", { class: "live", width: pct(live) }),
          h("span", { class: "deleted", width: pct(deleted - expired) }),
          h("span", { class: "expired", width: pct(expired) }),
        ),
        h(
          "span",
          { class: "figures" },
          `${count(live)} live · ${count(deleted)} deleted (${(100 * t.deletedRatio).toFixed(1)}%) · ` +
            `${count(t.rowsPastRetention.count)} past ${t.retentionDays || "∞"} d · ${t.deadTuples ?? "–"} dead tuples`,
        ),
      );
    }),
  );
  $("recommendations").replaceChildren(
    ...(r.recommendations.length
      ? r.recommendations.map((rec) =>
          h(
            "li",
            { class: `severity-${rec.severity}` },
            h("b", {}, rec.severity),
            ` ${rec.message} `,
            h("code", {}, rec.action),
          ),
        )
      : [h("li", {}, "None: every table is within its thresholds.")]),
  );
}

// ------------------------------------------------------------------------------------------------ bulk

const OP = "id kind status total processed skipped failed rowsPerSecond createdAt reason";
const TERMINAL = ["SUCCEEDED", "FAILED", "CANCELLED"];

function progressOf(op) {
  if (TERMINAL.includes(op.status) && op.status === "SUCCEEDED") return 100;
  const done = op.processed + op.skipped + op.failed;
  return op.total ? Math.min(100, Math.round((100 * done) / op.total)) : 0;
}

function renderOperation(op) {
  const row = document.querySelector(`tr[data-op="${op.id}"]`) || h("tr", { "data-op": op.id });
  const pct = progressOf(op);
  const actions = [h("button", { type: "button", onclick: () => showAudit(op.id) }, "Audit")];
  if (!TERMINAL.includes(op.status))
    actions.unshift(h("button", { type: "button", class: "cancel", onclick: () => act(cancel, op.id) }, "Cancel"));
  else if (op.kind === "SOFT_DELETE" && op.processed > 0)
    actions.unshift(h("button", { type: "button", class: "restore", onclick: () => act(undo, op.id) }, "Restore"));
  row.replaceChildren(
    h("td", {}, time(op.createdAt)),
    h("td", {}, op.kind),
    h("td", { class: `status status-${op.status}` }, op.status),
    h(
      "td",
      {},
      h("span", { class: "progress", "data-progress": pct }, h("span", { width: `${pct}%` })),
      ` ${count(op.processed)}/${op.total === null ? "?" : count(op.total)}`,
    ),
    h("td", {}, op.rowsPerSecond ? Math.round(op.rowsPerSecond) : ""),
    h("td", {}, actions),
  );
  return row;
}

function watch(id) {
  if (watching.has(id) || !ws) return;
  const stop = ws.subscribe(
    {
      query: `subscription DashboardProgress($id: ID!) { bulkOperationProgress(id: $id) {
        operationId status total processed skipped failed rowsPerSecond } }`,
      variables: { id },
    },
    {
      next: ({ data }) => {
        const p = data?.bulkOperationProgress;
        const row = document.querySelector(`tr[data-op="${id}"]`);
        if (!p || !row) return;
        renderOperation({ ...JSON.parse(row.dataset.snapshot), ...p, id });
      },
      error: () => watching.delete(id),
      complete: () => watching.delete(id),
    },
  );
  watching.set(id, stop);
}

async function loadOperations() {
  const { bulkOperations } = await gql(
    `query DashboardOperations { bulkOperations(first: 20) { edges { node { ${OP} } } } }`,
  );
  const rows = bulkOperations.edges.map(({ node }) => {
    const row = renderOperation(node);
    row.dataset.snapshot = JSON.stringify(node);
    if (!TERMINAL.includes(node.status)) watch(node.id);
    return row;
  });
  $("operations").replaceChildren(...rows);
}

const cancel = (id) => gql(`mutation DashboardCancel($id: ID!) { cancelBulkOperation(id: $id) { id } }`, { id });
const undo = (id) => gql(`mutation DashboardUndo($op: ID!) { bulkRestore(operationId: $op) { id } }`, { op: id });

// ------------------------------------------------------------------------------------------------ trash

async function loadTrash() {
  const { auditLog } = await gql(`query DashboardDeleted { auditLog(action: SOFT_DELETE, first: 100) {
    edges { node { entityId entityType at reason operationId } } } }`);
  const seen = new Map();
  for (const { node } of auditLog.edges) if (!seen.has(node.entityId)) seen.set(node.entityId, node);
  const entries = [...seen.values()].slice(0, 40);
  let states = {};
  if (entries.length) {
    // One request for all: an alias per row, asking whether it is still deleted.
    const fields = entries.map(
      (e, i) => `n${i}: node(id: "${e.entityId}", includeDeleted: true) { ... on SoftDeletable { isDeleted } }`,
    );
    states = await gql(`query DashboardTrashStates { ${fields.join(" ")} }`);
  }
  const byType = new Map();
  entries.forEach((e, i) => {
    if (!states[`n${i}`]?.isDeleted) return;
    byType.set(e.entityType, [...(byType.get(e.entityType) ?? []), e]);
  });
  $("trash-groups").replaceChildren(
    ...(byType.size
      ? [...byType].map(([type, rows]) =>
          h(
            "div",
            { class: "trash-type", "data-type": type },
            h("h3", {}, `${type} (${rows.length})`),
            h(
              "table",
              {},
              h(
                "tbody",
                {},
                rows.map((e) =>
                  h(
                    "tr",
                    { "data-entity": e.entityId },
                    h("td", {}, time(e.at)),
                    h("td", {}, h("code", { title: e.entityId }, e.entityId.slice(-8))),
                    h("td", {}, e.reason ?? ""),
                    h(
                      "td",
                      {},
                      h("button", { type: "button", onclick: () => showAudit(e.operationId) }, "Audit"),
                      h(
                        "button",
                        { type: "button", class: "restore", onclick: () => act(restoreRow, e.entityId) },
                        "Restore",
                      ),
                    ),
                  ),
                ),
              ),
            ),
          ),
        )
      : [h("p", {}, "Nothing recently deleted.")]),
  );
}

const restoreRow = (id) =>
  gql(`mutation DashboardRestore($id: ID!) { restore(id: $id, withAncestors: true) { operationId } }`, { id });

// ------------------------------------------------------------------------------------------------ audit

async function showAudit(operationId) {
  const { auditLog } = await gql(
    `query DashboardAudit($op: ID!) { auditLog(operationId: $op, first: 100) { totalCount
      edges { node { at action entityType entityId actor reason } } } }`,
    { op: operationId },
  );
  $("audit").hidden = false;
  $("audit-op").textContent = `${operationId} (${auditLog.totalCount} entries)`;
  $("audit-entries").replaceChildren(
    ...auditLog.edges.map(({ node: a }) =>
      h(
        "tr",
        {},
        h("td", {}, time(a.at)),
        h("td", {}, a.action),
        h("td", {}, a.entityType),
        h("td", {}, h("code", {}, a.entityId)),
        h("td", {}, a.actor ?? "(erased)"),
        h("td", {}, a.reason ?? ""),
      ),
    ),
  );
}

// ------------------------------------------------------------------------------------------------ shell

async function act(fn, arg) {
  try {
    await fn(arg);
  } catch (err) {
    alert(err.message);
  }
  await refresh();
}

async function refresh() {
  await Promise.all([loadHealth(), loadOperations(), loadTrash()]).catch((err) => {
    document.body.dataset.error = err.message;
    console.warn(err.message);
  });
  document.body.dataset.loaded = "true";
}

async function open() {
  const { viewer } = await gql(`query DashboardViewer { viewer { subject role organization { slug } } }`);
  if (viewer.role !== "ADMIN") throw new Error(`FORBIDDEN: the dashboard needs an ADMIN token (got ${viewer.role})`);
  sessionStorage.setItem("dashboard-token", token);
  $("who").textContent = `${viewer.organization.slug} · ${viewer.subject}`;
  const url = new URL(ENDPOINT, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  ws = graphqlWs.createClient({ url: url.href, connectionParams: { authorization: `Bearer ${token}` }, lazy: true });
  $("login").hidden = true;
  $("main").hidden = false;
  await refresh();
}

function askForToken(message = "") {
  $("main").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
}

$("login").addEventListener("submit", (e) => {
  e.preventDefault();
  token = $("token").value.trim();
  open().catch((err) => askForToken(err.message));
});
$("refresh").addEventListener("click", () => refresh());
$("signout").addEventListener("click", () => {
  sessionStorage.removeItem("dashboard-token");
  for (const stop of watching.values()) stop();
  watching.clear();
  ws?.dispose();
  askForToken();
});
setInterval(() => !$("main").hidden && loadOperations().catch(() => {}), 10_000);

(async () => {
  if (!token) token = (await (await fetch("/dashboard/session.json")).json()).demoToken ?? "";
  if (token) await open().catch((err) => askForToken(err.message));
  else askForToken();
})();
