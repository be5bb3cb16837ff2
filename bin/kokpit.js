#!/usr/bin/env node
// The kokpit CLI: the bundled build when present, else the TypeScript sources (development).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const bundled = join(__dirname, '..', 'dist', 'cli.js');
if (existsSync(bundled) && !process.env.KOKPIT_FROM_SOURCE) {
  require(bundled).main();
} else {
  require('tsx/cjs');
  require(join(__dirname, '..', 'src', 'cli', 'main.ts')).main();
}
