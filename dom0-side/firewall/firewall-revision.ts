import { createHash } from 'node:crypto';

/**
 * A qube's firewall revision: a digest of its rules as qubesd would print
 * them (null, Qubes's default, is distinct from an empty list). A
 * replace that names the revision it was computed from succeeds only while
 * the rules are still exactly those, so a read-edit-replace never drops a
 * rule someone else added meanwhile. Equal rules give equal revisions,
 * which is all compare-and-set needs: nothing in between can be lost.
 */
export function firewallRevision(lines: readonly string[] | null): string {
  const text = JSON.stringify(lines);
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
