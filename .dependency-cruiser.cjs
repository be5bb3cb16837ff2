// The layer rule, checked by `npm run lint:layers` (part of `npm test`): a module imports only from its own
// layer or the ones below it, an operator never from another operator, nothing from tests, and only
// src/extension imports vscode. Layers, lowest first (docs/architecture.md explains each):
const LAYERS = [
  ['api'],
  ['kube', 'pki', 'binaries', 'controller', 'catalog', 'validation', 'language'],
  ['kit'],
  ['operators'],
  ['manager', 'podrunner', 'controlplane'],
  ['local', 'providers', 'fleet', 'actions'],
  ['cli'],
  ['extension'],
];

const above = (i) => LAYERS.slice(i + 1).flat();
const layerRules = LAYERS.flatMap((folders, i) =>
  above(i).length === 0
    ? []
    : [
        {
          name: `layer-${folders.join('-')}`,
          comment: `src/{${folders.join(',')}} must not import a higher layer (${above(i).join(', ')})`,
          severity: 'error',
          from: { path: `^src/(${folders.join('|')})/` },
          to: { path: `^src/(${above(i).join('|')})/` },
        },
      ],
);

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'operator-to-operator',
      comment: "an operator uses the kit and lower layers, never another operator's internals",
      severity: 'error',
      from: { path: '^src/operators/([^/]+)/' },
      to: { path: '^src/operators/([^/]+)/', pathNot: '^src/operators/$1/' },
    },
    {
      name: 'no-tests-in-src',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'vscode-only-in-extension',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/extension/' },
      to: { path: '^vscode$|node_modules/@types/vscode' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.d\\.ts$' },
  },
};
