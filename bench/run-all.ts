import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Runs every `bench/*.bench.js` (each prints its own table), or those named on the command line. */
async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.js'))
    .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
    .sort();
  for (const f of files) {
    const mod = (await import(join(__dirname, f))) as { run(): Promise<void> };
    await mod.run();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
