// TextMate/VS Code snippet syntax, just enough to see the text a snippet inserts when the user accepts every default:
// tabstops ($1, ${1}), placeholders (${1:default}, nested), choices (${1|a,b|} → a) and escapes (\$ \} \\).
// Variables ($TM_FILENAME, …) depend on the editor, so a snippet that uses them is rejected.

type Part = string | { tabstop: number; children?: Part[]; choices?: string[] };

export class SnippetSyntaxError extends Error {}

function parse(body: string): Part[] {
  let i = 0;
  const fail = (what: string): never => {
    throw new SnippetSyntaxError(`${what} at offset ${i} of snippet`);
  };
  const digits = (): number => {
    const m = /^[0-9]+/.exec(body.slice(i));
    if (!m) return fail('expected a tabstop number');
    i += m[0].length;
    return Number(m[0]);
  };
  const parts = (insideBraces: boolean): Part[] => {
    const out: Part[] = [];
    let text = '';
    const flush = () => {
      if (text) out.push(text);
      text = '';
    };
    while (i < body.length) {
      const c = body[i];
      if (c === '\\' && i + 1 < body.length && '$}\\'.includes(body[i + 1])) {
        text += body[i + 1];
        i += 2;
      } else if (c === '}' && insideBraces) {
        flush();
        return out;
      } else if (c === '$' && /[0-9]/.test(body[i + 1] ?? '')) {
        flush();
        i += 1;
        out.push({ tabstop: digits() });
      } else if (c === '$' && body[i + 1] === '{' && /[0-9]/.test(body[i + 2] ?? '')) {
        flush();
        i += 2;
        const tabstop = digits();
        if (body[i] === '}') {
          i += 1;
          out.push({ tabstop });
        } else if (body[i] === ':') {
          i += 1;
          const children = parts(true);
          if (body[i] !== '}') fail('unclosed placeholder');
          i += 1;
          out.push({ tabstop, children });
        } else if (body[i] === '|') {
          const end = body.indexOf('|}', i + 1);
          if (end < 0) fail('unclosed choice');
          const choices = body
            .slice(i + 1, end)
            .split(/(?<!\\),/)
            .map((s) => s.replace(/\\([,|\\$}])/g, '$1'));
          i = end + 2;
          out.push({ tabstop, choices });
        } else fail('bad tabstop');
      } else if (c === '$' && /[A-Za-z_{]/.test(body[i + 1] ?? '')) {
        fail('snippet variables are not supported');
      } else {
        text += c;
        i += 1;
      }
    }
    if (insideBraces) fail('unclosed placeholder');
    flush();
    return out;
  };
  return parts(false);
}

/** The text inserted when every placeholder keeps its default (a mirrored `$1` repeats `${1:…}`'s default). */
export function expandSnippet(body: string | string[]): string {
  const parts = parse(Array.isArray(body) ? body.join('\n') : body);
  const defaults = new Map<number, Part[] | string>();
  const collect = (ps: Part[]) => {
    for (const p of ps) {
      if (typeof p === 'string') continue;
      if (p.children && !defaults.has(p.tabstop)) defaults.set(p.tabstop, p.children);
      if (p.choices && !defaults.has(p.tabstop)) defaults.set(p.tabstop, p.choices[0] ?? '');
      if (p.children) collect(p.children);
    }
  };
  collect(parts);
  const render = (ps: Part[], seen: Set<number>): string =>
    ps
      .map((p) => {
        if (typeof p === 'string') return p;
        const d = p.children ?? p.choices?.[0] ?? defaults.get(p.tabstop) ?? '';
        if (typeof d === 'string') return d;
        if (seen.has(p.tabstop)) throw new SnippetSyntaxError(`placeholder $${p.tabstop} contains itself`);
        return render(d, new Set([...seen, p.tabstop]));
      })
      .join('');
  return render(parts, new Set());
}
