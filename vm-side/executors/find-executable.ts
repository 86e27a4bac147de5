import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/**
 * Whether `command` can be run: a path is checked as given, a bare name is
 * looked up in PATH (as the shell's `command -v` would). '' means "not
 * configured" and is never found.
 */
export async function isExecutable(command: string, path = process.env.PATH ?? ''): Promise<boolean> {
  if (command === '') return false;
  const candidates = command.includes('/')
    ? [command]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, command));
  for (const file of candidates) {
    try {
      await access(file, constants.X_OK);
      return true;
    } catch {
      // not here; try the next directory
    }
  }
  return false;
}
