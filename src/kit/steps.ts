// A reconciler pass as an ordered list of named steps (Kamaji's per-resource handlers are the model): each
// step owns one condition, reads and writes a typed pass context instead of shared locals, and a pass stops at
// the first step that is not done, with that step's condition saying why and when to look again.
import type { ConditionInput } from './conditions';

/** Thrown by a step that is not done: the condition to report, and when to run the pass again. */
export class StopPass extends Error {
  constructor(
    readonly condition: ConditionInput,
    readonly requeueAfterMs: number | undefined,
  ) {
    super(condition.message ?? condition.reason);
  }
}

export interface Step<C, N extends string = string> {
  name: N;
  /** The condition this step reports (set by the step with `ctx` helpers; a StopPass from it uses this type). */
  condition: string;
  run(ctx: C): Promise<void>;
}

export interface StepsResult<N extends string> {
  completed: N[];
  /** The step that stopped the pass, with why; undefined when every step ran. */
  stopped?: { step: N; stop: StopPass };
}

/**
 * Runs the steps in order; a StopPass ends the pass at that step (other errors propagate: the work queue
 * retries with backoff). `after` runs after each completed step (tests crash the process there).
 */
export async function runSteps<C, N extends string>(
  steps: ReadonlyArray<Step<C, N>>,
  ctx: C,
  after?: (name: N) => Promise<void> | void,
): Promise<StepsResult<N>> {
  const completed: N[] = [];
  for (const step of steps) {
    try {
      await step.run(ctx);
    } catch (e) {
      if (e instanceof StopPass) return { completed, stopped: { step: step.name, stop: e } };
      throw e;
    }
    completed.push(step.name);
    await after?.(step.name);
  }
  return { completed };
}
