// What the editor tells the validation engine when no meta cluster is connected: the addons kokpit installs
// into every meta cluster are known. (Versions stay unchecked against a catalog until one is connected.)
import { defaultAddons } from '../../catalog';
import type { ValidateOptions } from '../../validation';

export function offlineValidationOptions(): ValidateOptions {
  return { knownAddons: defaultAddons().map((a) => a.metadata.name) };
}
