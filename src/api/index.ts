// The kokpit.dev/v1alpha1 API: one definition that types, defaults, CRDs, schemas and docs come from.
export * from './common';
export * from './kinds';
export * from './defaults';
export * from './release-defaults';
export type { EtcdClusterSpec, EtcdClusterStatus, EtcdMemberStatus, EtcdBackupSpec, EtcdBackupStatus } from './etcd';
export type { BusinessClusterSpec, BusinessClusterStatus, DefaultedBusinessClusterSpec } from './business-cluster';
export { TERMINAL_CLUSTER_REASONS, terminalClusterCondition } from './business-cluster';
export type { KubernetesVersionSpec, AddonSpec, AddonParameter } from './catalog';
export type { ComponentSpec, MachineSpec, MachineStatus, MachineSetSpec, MachineSetStatus } from './machines';
export type { LocalEnvironmentSpec } from './local-environment';
export { WEEKDAYS, CLOCK_TIME, MAINTENANCE_ACTIONS, MAINTENANCE_RESULTS } from './maintenance';
export type { MaintenanceWindow, MaintenanceSpec, MaintenanceRecord, MaintenanceStatus } from './maintenance';
export { WAVE_LABEL, RETRY_ANNOTATION, ROLLOUT_PHASES, ROLLOUT_CLUSTER_STATES } from './rollout';
export type { FleetRolloutSpec, FleetRolloutStatus, RolloutClusterStatus, RolloutClusterState, RolloutWave } from './rollout';
