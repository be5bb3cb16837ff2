// kokpit.* settings: their defaults and a tolerant reader (a wrong type in settings.json falls back to the default).
// package.json `contributes.configuration` declares the same keys; a unit test keeps the two in step.
import { LOG_LEVELS, type LogLevel } from './logger';

export interface KokpitSettings {
  /** kind binary: a path, or a bare name looked up on PATH. */
  kindPath: string;
  /** docker binary: a path, or a bare name looked up on PATH. */
  dockerPath: string;
  /** Kubeconfig file of the meta cluster; empty means $KUBECONFIG or ~/.kube/config. */
  kubeconfig: string;
  /** Run the reconcilers in the extension host once connected to a meta cluster. */
  reconcilersAutoStart: boolean;
  logLevel: LogLevel;
  /** Say when a cluster turns Degraded or an upgrade or rollout fails (src/extension/fleet/notifications.ts). */
  notificationsEnabled: boolean;
}

/** Setting keys (under the `kokpit.` section) and the field each one fills. */
export const SETTING_KEYS = {
  kindPath: 'kindPath',
  dockerPath: 'dockerPath',
  kubeconfig: 'kubeconfig',
  reconcilersAutoStart: 'reconcilers.autoStart',
  logLevel: 'logLevel',
  notificationsEnabled: 'notifications.enabled',
} as const satisfies Record<keyof KokpitSettings, string>;

export const SETTINGS_SECTION = 'kokpit';

export const DEFAULT_SETTINGS: Readonly<KokpitSettings> = Object.freeze({
  kindPath: 'kind',
  dockerPath: 'docker',
  kubeconfig: '',
  reconcilersAutoStart: true,
  logLevel: 'info',
  notificationsEnabled: true,
});

/** Reads settings through `get(key)` (a key relative to the `kokpit` section). */
export function readSettings(get: (key: string) => unknown): KokpitSettings {
  const text = (field: 'kindPath' | 'dockerPath' | 'kubeconfig'): string => {
    const v = get(SETTING_KEYS[field]);
    // A blank binary path means "the default", not "run an empty command".
    if (typeof v !== 'string') return DEFAULT_SETTINGS[field];
    return v.trim() === '' && field !== 'kubeconfig' ? DEFAULT_SETTINGS[field] : v.trim();
  };
  const autoStart = get(SETTING_KEYS.reconcilersAutoStart);
  const level = get(SETTING_KEYS.logLevel);
  const notifications = get(SETTING_KEYS.notificationsEnabled);
  return {
    kindPath: text('kindPath'),
    dockerPath: text('dockerPath'),
    kubeconfig: text('kubeconfig'),
    reconcilersAutoStart: typeof autoStart === 'boolean' ? autoStart : DEFAULT_SETTINGS.reconcilersAutoStart,
    logLevel: (LOG_LEVELS as readonly unknown[]).includes(level) ? (level as LogLevel) : DEFAULT_SETTINGS.logLevel,
    notificationsEnabled: typeof notifications === 'boolean' ? notifications : DEFAULT_SETTINGS.notificationsEnabled,
  };
}
