import type { z } from 'zod';

/** One line from a zod issue: `uplink.ip: expected IPv4 address`. */
export function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'invalid request';
  const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys
      .slice(0, 3)
      .map((k) => JSON.stringify(k.slice(0, 32)))
      .join(', ')}`;
  }
  return `${path}: ${issue.message.split('\n')[0].slice(0, 160)}`;
}
