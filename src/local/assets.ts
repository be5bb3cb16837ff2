// Files kokpit ships beside its code (CRDs), found from the sources, the bundle or the working directory.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function packageDir(relative: string): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let d = start; ; d = path.dirname(d)) {
      const c = path.join(d, relative);
      if (fs.existsSync(c) && fs.existsSync(path.join(d, 'package.json'))) return c;
      if (path.dirname(d) === d) break;
    }
  }
  throw new Error(`cannot find ${relative} in the kokpit package`);
}
