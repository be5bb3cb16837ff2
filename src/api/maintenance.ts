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
          'A rollout, an automatic patch update or a move off an Unsupported version starts this cluster only inside one of ' +
          'these windows (a rollout with `ignoreWindows` and a move off an expired version at any time); any time when unset.',
      }),
    ),
    autoUpdate: Type.Optional(
      Struct(
        {
          patch: Type.Boolean({
            default: false,
            description:
              'Inside a window, move the cluster to the newest Supported patch of its minor in the version catalog (left to a ' +
              'FleetRollout while one holds the cluster).',
          }),
        },
        { description: 'What kokpit updates on its own. A version that becomes Unsupported or expires is moved off even without it.' },
      ),
    ),
  },
  { description: 'When and what kokpit may change on this cluster on its own (rollouts, patch updates).' },
);

export const MAINTENANCE_ACTIONS = ['PatchUpdate', 'MoveOffUnsupported', 'MoveOffExpired'] as const;
export const MAINTENANCE_RESULTS = ['InProgress', 'Succeeded', 'Failed', 'Superseded'] as const;

export const MaintenanceRecord = Struct(
  {
    action: StringEnum(MAINTENANCE_ACTIONS, {
      description: 'PatchUpdate (`autoUpdate.patch`), or a forced move off a version that is Unsupported or past its `expires`.',
    }),
    from: Type.String({ description: 'The version the cluster asked for before.' }),
    to: Type.String({ description: 'The version it was moved to.' }),
    startedAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
    result: StringEnum(MAINTENANCE_RESULTS, {
      description: 'Superseded: spec.version was changed past `to` by someone else (a rollout, a user) before it finished.',
    }),
    message: Type.Optional(Type.String()),
  },
  { description: 'One maintenance action kokpit took on its own.' },
);

export const MaintenanceStatus = Struct(
  { last: Type.Optional(MaintenanceRecord) },
  { description: 'What kokpit last did on its own (written by the rollout operator under the `kokpit-maintenance` field manager).' },
);

export type MaintenanceWindow = Static<typeof MaintenanceWindow>;
export type MaintenanceSpec = Static<typeof MaintenanceSpec>;
export type MaintenanceRecord = Static<typeof MaintenanceRecord>;
export type MaintenanceStatus = Static<typeof MaintenanceStatus>;
