// A test build of `kokpit operator`, run by crash/machine-repair.test.ts as the process it SIGKILLs: the same
// command (argument parsing, CRD check, manager, every reconciler), with the kwok provider wrapped so that a
// component's health step fails on the Machines the test names, and with short health and repair intervals.
// Fault injection lives here, in the test; the shipped command takes these options only from a program that
// embeds it, never from a flag or an object in the cluster.
//
// The test writes the rules to the JSON file KOKPIT_TEST_FAULTS names; this reads it on every step, so a rule
// outlives the process that saw it. Each repair step run on a Machine with a rule is appended to `<file>.repairs`
// (one uid a line): a rule with `untilRepairs: n` fails the health step until n repairs ran on that Machine, across
// restarts, as a component that a second restart fixes would.
import * as fs from 'node:fs';
import { runOperator } from '../../../src/cli/commands/operator';
import { defaultIO } from '../../../src/cli/run-command';
import { KwokProvider } from '../../../src/operators/machine/providers/kwok';
import type { MachineProvider, ProviderContext, StepRequest } from '../../../src/operators/machine/providers/provider';

export interface FaultRule {
  /** The Machine's uid: a replacement of the same name is not affected. */
  uid: string;
  component: string;
  /** Health fails until this many repair steps ran on the Machine; unset: it always fails (repair never helps). */
  untilRepairs?: number;
}

export const faultsEnv = 'KOKPIT_TEST_FAULTS';
export const healthIntervalEnv = 'KOKPIT_TEST_HEALTH_INTERVAL_MS';
export const repairLimitEnv = 'KOKPIT_TEST_REPAIR_LIMIT_MS';

/** How many repair steps ran on the Machine with this uid (by every process that ran). */
export function repairsOf(file: string, uid: string): number {
  const log = `${file}.repairs`;
  return fs.existsSync(log)
    ? fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l === uid).length
    : 0;
}

function faultyKwok(file: string): MachineProvider {
  const kwok = new KwokProvider();
  const rules = (): FaultRule[] => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as FaultRule[]) : []);
  return Object.assign(Object.create(kwok) as MachineProvider, {
    async runStep(ctx: ProviderContext, req: StepRequest) {
      const uid = ctx.machine.metadata.uid ?? '';
      const rule = rules().find((r) => r.uid === uid && r.component === req.component);
      if (rule && req.step === 'repair') fs.appendFileSync(`${file}.repairs`, `${uid}\n`);
      const failing = rule && req.step === 'health' && (rule.untilRepairs === undefined || repairsOf(file, uid) < rule.untilRepairs);
      return failing
        ? { ok: false, message: `health of ${req.component} ${req.version} failed (injected by the test)` }
        : kwok.runStep(ctx, req);
    },
  });
}

if (require.main === module) {
  const file = process.env[faultsEnv];
  if (!file) throw new Error(`${faultsEnv} names no file`);
  const machine = {
    providers: { kwok: faultyKwok(file) },
    healthIntervalMs: Number(process.env[healthIntervalEnv] ?? 1000),
    repairLimitMs: Number(process.env[repairLimitEnv] ?? 5000),
  };
  // argv: `operator <flags>`, as bin/kokpit.js gets it.
  void runOperator(process.argv.slice(3), defaultIO(), undefined, { machine }).then((code) => {
    process.exitCode = code;
  });
}
