// Child of probe-faults.test.ts for the certificate cases that need a trusted CA (expired,
// wrong host name, a good chain). Node reads NODE_EXTRA_CA_CERTS only at start-up, so these run
// in a process started with it. Wires HealthTable + Prober as src/server/server.ts does, probes
// the targets in PF_TARGETS once, and prints { id: { up, known, reason, durationMs } }.
//
// PF_BUILD: the compiled src/ (health/prober.js, ...). PF_TARGETS: [{ id, target }], the
// ProbeTargets built by the parent (test helpers are not part of the build).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const build = process.env.PF_BUILD;
const load = (file) => import(pathToFileURL(path.join(build, file)).href);
const { Prober } = await load('health/prober.js');
const { HealthTable } = await load('health/table.js');

/** @type {{ id: string, target: object }[]} */
const wanted = JSON.parse(process.env.PF_TARGETS ?? '[]');
const targets = wanted.map((w) => w.target);
const table = new HealthTable();
const prober = new Prober(table);
table.setTargets(targets);
prober.update(targets);
await prober.ready;
const out = {};
for (const [i, w] of wanted.entries()) {
  const key = targets[i].key;
  const health = table.snapshot().get(key);
  out[w.id] = { up: health?.up, known: health?.known, reason: health?.reason, durationMs: table.statsFor(key)?.lastResult?.durationMs };
}
await prober.stop();
process.stdout.write(`${JSON.stringify(out)}\n`);
