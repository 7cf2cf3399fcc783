/** Following a bulk operation through the API until it is done. */
import type { TestApi } from "./api.js";
import { must } from "./graph.js";

export const OP_FIELDS = `id kind status total processed cascaded skipped failed batches error skippedReasons { reason count } startedAt finishedAt rowsPerSecond`;

/** Polls `bulkOperation(id)` until `done` (by default: a terminal status); fails after 45 s. */
export async function waitFor(
  api: TestApi,
  id: string,
  done: (op: any) => boolean = (op) => ["SUCCEEDED", "FAILED", "CANCELLED"].includes(op.status),
) {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const op = (await must(api, `query($id: ID!) { bulkOperation(id: $id) { ${OP_FIELDS} } }`, { id })).bulkOperation;
    if (done(op)) return op;
    if (Date.now() > deadline) throw new Error(`operation ${id} stuck in ${JSON.stringify(op)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
