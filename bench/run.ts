// `npm run bench -- <name> [<name>…]`: runs bench/<name>.ts and prints its one JSON line.
// Every benchmark measures its own baseline in the same run, so ratios hold on a noisy machine.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

interface Bench {
  run(args: string[]): Promise<Record<string, unknown>>;
}

async function main() {
  const available = readdirSync(__dirname)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
    .map((f) => f.replace(/\.ts$/, ''));
  const args = process.argv.slice(2);
  const names = args.filter((a) => !a.startsWith('-'));
  if (names.length === 0 || names.some((n) => !available.includes(n))) {
    console.error(`usage: npm run bench -- <${available.join('|')}>`);
    process.exit(2);
  }
  for (const name of names) {
    const bench: Bench = await import(join(__dirname, `${name}.ts`));
    const result = await bench.run(args.filter((a) => a.startsWith('-')));
    console.log(JSON.stringify({ bench: name, ...result }));
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
