// The one-line result of validating many files.
export interface ValidationSummary {
  files: number;
  filesWithProblems: number;
  errors: number;
  warnings: number;
  text: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function summarizeValidation(perFile: readonly { errors: number; warnings: number }[]): ValidationSummary {
  const errors = perFile.reduce((n, f) => n + f.errors, 0);
  const warnings = perFile.reduce((n, f) => n + f.warnings, 0);
  const filesWithProblems = perFile.filter((f) => f.errors + f.warnings > 0).length;
  const files = perFile.length;
  const text =
    files === 0
      ? 'no kokpit manifests found in the workspace'
      : errors + warnings === 0
        ? `${plural(files, 'manifest file')} valid`
        : `${plural(errors, 'error')} and ${plural(warnings, 'warning')} in ${plural(filesWithProblems, 'file')} ` +
          `of ${plural(files, 'manifest file')}`;
  return { files, filesWithProblems, errors, warnings, text };
}
