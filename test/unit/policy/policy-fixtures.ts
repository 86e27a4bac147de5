import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AccessDeniedError } from '../../../policy/errors';
import { evaluateRequest, type PolicyState } from '../../../policy/evaluator/evaluate';
import { view, type EvaluationView } from './evaluation-view';
import { IndexedPolicy } from '../../../policy/evaluator/indexed-policy';
import { loadPolicyRules } from '../../../policy/loader/load-policy';
import { parseSystemInfo, type SystemInfo } from '../../../policy/system-info/system-info';

/** A throw-away directory tree; `files` maps relative paths to contents. */
export class TempTree {
  readonly root = mkdtempSync(join(tmpdir(), 'qnet-policy-'));

  constructor(files: Record<string, string | Buffer> = {}) {
    for (const [rel, body] of Object.entries(files)) this.write(rel, body);
  }

  path(rel = ''): string {
    return rel === '' ? this.root : join(this.root, rel);
  }

  write(rel: string, body: string | Buffer): string {
    const p = this.path(rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, body);
    return p;
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

const domain = (type: string, extra: Record<string, unknown> = {}) => ({
  type,
  tags: [],
  default_dispvm: 'default-dvm',
  template_for_dispvms: false,
  power_state: 'Running',
  icon: 'red',
  guivm: 'dom0',
  ...extra,
});

/** A small system: dom0, two app qubes, a halted one, two disposable templates. */
export function sampleInfo(): SystemInfo {
  return parseSystemInfo({
    domains: {
      dom0: domain('AdminVM', { uuid: '00000000-0000-0000-0000-000000000000', default_dispvm: null, guivm: null }),
      work: domain('AppVM', { uuid: '11111111-1111-1111-1111-111111111111', tags: ['work'] }),
      personal: domain('AppVM', { uuid: '22222222-2222-2222-2222-222222222222', tags: ['home'] }),
      vault: domain('AppVM', {
        uuid: '33333333-3333-3333-3333-333333333333',
        power_state: 'Halted',
        default_dispvm: null,
        guivm: null,
      }),
      'default-dvm': domain('AppVM', {
        uuid: '44444444-4444-4444-4444-444444444444',
        template_for_dispvms: true,
        tags: ['dvm'],
        power_state: 'Halted',
      }),
      'other-dvm': domain('AppVM', {
        uuid: '55555555-5555-5555-5555-555555555555',
        template_for_dispvms: true,
        power_state: 'Halted',
      }),
      'fedora-41': domain('TemplateVM', { uuid: '66666666-6666-6666-6666-666666666666' }),
    },
  });
}

/** Loads `text` as the only file of a policy directory; errors become the denying state. */
export function policyFromFiles(tree: TempTree, files: Record<string, string>): PolicyState {
  for (const [name, body] of Object.entries(files)) tree.write(join('policy.d', name), body);
  try {
    return new IndexedPolicy(loadPolicyRules([tree.path('policy.d')], { legacyDir: tree.path('legacy') }));
  } catch (err) {
    if (err instanceof AccessDeniedError) return err;
    throw err;
  }
}

export function evaluateText(
  text: string,
  request: { service: string; argument?: string; source: string; target: string },
  info: SystemInfo = sampleInfo(),
): EvaluationView {
  const tree = new TempTree();
  try {
    const state = policyFromFiles(tree, { '30-test.policy': text });
    return view(evaluateRequest(state, info, { argument: '+', ...request }));
  } finally {
    tree.dispose();
  }
}
