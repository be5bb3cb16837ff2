// The reconciler kit: what every operator needs and none should write again — compare-before-write
// server-side apply with one field manager, status apply, finalizers, conditions, Events, versions, named steps.
export * from './apply';
export * from './conditions';
export * from './events';
export * from './finalizers';
export * from './versions';
export * from './steps';
