// The reconciler kit: what every operator needs and none should write again — compare-before-write
// server-side apply with one field manager, status apply, finalizers, conditions, Events, versions, named steps,
// pod faults a wait will not cure.
export * from './apply';
export * from './conditions';
export * from './events';
export * from './finalizers';
export * from './pod-faults';
export * from './versions';
export * from './steps';
