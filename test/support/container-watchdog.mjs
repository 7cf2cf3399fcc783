/**
 * Removes a test run's containers when the run is over, however it ended: our stand-in for testcontainers' Ryuk.
 * Started detached by postgres-container.ts with the run's label (`key=value`) and a pipe on stdin; the pipe
 * reaches EOF when the run closes it or when its process is gone (Ctrl-C, crash, SIGKILL). It then force-removes
 * every container carrying the label, twice, a few seconds apart: a container the engine was still creating when
 * the run died is caught the second time. Plain JavaScript: it runs on bare Node, without the test transform.
 */
import { getContainerRuntimeClient } from "testcontainers";

const label = process.argv[2];
if (!label?.includes("=")) {
  process.stderr.write("usage: node container-watchdog.mjs <label>=<value> (and a pipe on stdin)\n");
  process.exit(2);
}
const client = getContainerRuntimeClient();
client.catch(() => {});

async function removeLabelled() {
  const { container } = await client;
  const found = await container.dockerode.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(
    found.map((c) =>
      container
        .getById(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {}),
    ),
  );
}

let done = false;
async function reap() {
  if (done) return;
  done = true;
  try {
    await removeLabelled();
    await new Promise((r) => setTimeout(r, 3000));
    await removeLabelled();
  } finally {
    process.exit(0);
  }
}

process.stdin.on("data", () => {});
process.stdin.on("end", reap);
process.stdin.on("close", reap);
process.stdin.on("error", reap);
