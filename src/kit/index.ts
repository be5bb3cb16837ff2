// The reconciler kit: what every operator needs and none should write again — compare-before-write
// server-side apply with one field manager, status apply, finalizers, conditions, versions, named steps.
export * from './apply';
export * from './conditions';
export * from './finalizers';
export * from './versions';
export * from './steps';
