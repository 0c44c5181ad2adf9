// One synth of every environment with N copies of the first service each (`npm run bench` runs it
// in a fresh process per N): shows how synth time grows with the number of services.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeEnvironments } from '../src/app-synth';
import { environments, project } from '../src/config/environments';
import { loadConfig } from '../src/config/load';
import type { EnvironmentInput } from '../src/config/schema';

const count = Number(process.argv[2] ?? '1');
const scaled: Record<string, EnvironmentInput> = Object.fromEntries(
  Object.entries(environments).map(([name, env]) => {
    const [first] = env.services;
    // The first service keeps its name: schedules and the cache's clients refer to it.
    const services = Array.from({ length: count }, (_, i) => ({
      ...first,
      name: i === 0 ? first.name : `svc${i + 1}`,
      loadBalancer: { ...first.loadBalancer, paths: [`/svc${i + 1}/*`] },
      // Only one service per environment gets a blue/green test rule next to its own.
      ...(i > 0 ? { deployment: { strategy: 'rolling' as const } } : {}),
    }));
    return [name, { ...env, services: count === 1 ? [first] : services }];
  }),
);

const started = performance.now();
synthesizeEnvironments(loadConfig(project, scaled), mkdtempSync(join(tmpdir(), 'bench-scale-')));
process.stdout.write(`BENCH_SYNTH_MS=${Math.round(performance.now() - started)}\n`);
