// Maintenance windows of a BusinessCluster: when a rollout may start changing it (issue 17). A window is a
// start (days of the week and a time, or a five-field cron schedule for anything else) and a duration, in an
// IANA time zone, so "Tuesdays 02:00 in Europe/Berlin" stays 02:00 local across daylight-saving changes.
import { type Static } from '@sinclair/typebox';
import { Type } from './typebox';
import { DURATION } from './common';
import { StringEnum, Struct, withCel } from './schema-helpers';

export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
/** `HH:MM`, 24-hour. */
export const CLOCK_TIME = '^([01][0-9]|2[0-3]):[0-5][0-9]$';

export const MaintenanceWindow = withCel(
  Struct(
    {
      days: Type.Optional(
        Type.Array(StringEnum(WEEKDAYS), { minItems: 1, description: 'Days the window opens on; every day when unset. With `start`.' }),
      ),
      start: Type.Optional(Type.String({ pattern: CLOCK_TIME, description: 'Local time the window opens, `HH:MM` (24-hour).' })),
      schedule: Type.Optional(
        Type.String({
          description:
            'Instead of `days` and `start`: a five-field cron schedule of the window openings (minute hour day-of-month month ' +
            'day-of-week), e.g. `0 2 1 * *` (02:00 on the first of every month).',
        }),
      ),
      duration: Type.String({ pattern: DURATION, description: 'How long the window stays open, e.g. `4h`.' }),
      timeZone: Type.String({ default: 'UTC', description: 'IANA time zone of `start` or `schedule`, e.g. `Europe/Berlin`.' }),
    },
    { description: 'One maintenance window: when it opens and for how long.' },
  ),
  [
    { rule: 'has(self.start) != has(self.schedule)', message: 'set exactly one of start (with days) or schedule' },
    { rule: '!has(self.days) || has(self.start)', message: 'days go with start; a schedule names its own days' },
  ],
);

export const MaintenanceSpec = Struct(
  {
    windows: Type.Optional(
      Type.Array(MaintenanceWindow, {
        description:
          'A rollout starts this cluster only inside one of these windows (unless it sets `ignoreWindows`); any time when unset.',
      }),
    ),
  },
  { description: 'When kokpit may change this cluster on its own (rollouts).' },
);

export type MaintenanceWindow = Static<typeof MaintenanceWindow>;
export type MaintenanceSpec = Static<typeof MaintenanceSpec>;
