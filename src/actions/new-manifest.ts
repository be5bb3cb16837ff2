// "New Manifest": the kinds a user can start a file from, and the snippet body for each, read from the snippets the
// extension contributes (snippets/kokpit.json), so the command and typing `kokpit-…` insert the same text.

export interface SnippetEntry {
  prefix: string;
  description?: string;
  body: string | string[];
}

export interface ManifestTemplate {
  kind: string;
  description: string;
  /** VS Code snippet syntax (tabstops, placeholders, choices). */
  body: string;
}

/** Templates by kind, in the order of the snippets file; entries not named `Kokpit <Kind>` are left out. */
export function manifestTemplates(snippets: Record<string, SnippetEntry>): ManifestTemplate[] {
  return Object.entries(snippets)
    .filter(([name]) => /^Kokpit [A-Z][A-Za-z]+$/.test(name))
    .map(([name, s]) => ({
      kind: name.slice('Kokpit '.length),
      description: s.description ?? '',
      body: Array.isArray(s.body) ? s.body.join('\n') : s.body,
    }));
}

/** The template for `kind`, or an error listing the kinds there are. */
export function templateFor(templates: readonly ManifestTemplate[], kind: string): ManifestTemplate {
  const found = templates.find((t) => t.kind === kind);
  if (!found) throw new Error(`no template for kind ${kind} (there are: ${templates.map((t) => t.kind).join(', ')})`);
  return found;
}
