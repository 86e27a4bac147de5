import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AccessDeniedError } from '../../../../policy/errors';
import { evaluateRequest, type PolicyState } from '../../../../policy/evaluator/evaluate';
import { view, type EvaluationView } from '../evaluation-view';
import { IndexedPolicy } from '../../../../policy/evaluator/indexed-policy';
import { loadPolicyRules } from '../../../../policy/loader/load-policy';
import { renderDaemonResponse, type DaemonMode } from '../../../../policy/daemon/render-daemon-response';
import { parseSystemInfo, type SystemInfo } from '../../../../policy/system-info/system-info';
import { TempTree } from '../policy-fixtures';

/**
 * The system upstream's parser tests evaluate against: which qubes exist,
 * their types, tags, disposable templates and power states are theirs; the
 * uuids, icons and GUI qubes are added because the daemon answer needs them.
 */
export function upstreamInfo(): SystemInfo {
  const uuid = (n: number) => `0000000${n}-0000-0000-0000-00000000000${n}`;
  const vm = (n: number, type: string, tags: string[], dvm: string | null, dvmTemplate: boolean, power: string) => ({
    type,
    tags,
    default_dispvm: dvm,
    template_for_dispvms: dvmTemplate,
    power_state: power,
    uuid: uuid(n),
    icon: 'red',
    guivm: 'dom0',
  });
  return parseSystemInfo({
    domains: {
      dom0: { ...vm(0, 'AdminVM', ['dom0-tag'], 'default-dvm', false, 'Running'), guivm: null },
      'test-vm1': vm(1, 'AppVM', ['tag1', 'tag2'], 'default-dvm', false, 'Running'),
      'test-vm2': vm(2, 'AppVM', ['tag2'], 'default-dvm', false, 'Running'),
      'test-vm3': vm(3, 'AppVM', ['tag3'], 'default-dvm', true, 'Halted'),
      'default-dvm': vm(4, 'AppVM', [], 'default-dvm', true, 'Halted'),
      'test-invalid-dvm': vm(5, 'AppVM', ['tag1', 'tag2'], 'test-vm1', false, 'Halted'),
      'test-no-dvm': vm(6, 'AppVM', ['tag1', 'tag2'], null, false, 'Halted'),
      'test-template': vm(7, 'TemplateVM', ['tag1', 'tag2'], 'default-dvm', false, 'Halted'),
      'test-standalone': vm(8, 'StandaloneVM', ['tag1', 'tag2'], 'default-dvm', false, 'Halted'),
    },
  });
}

export const UUID = {
  dom0: '00000000-0000-0000-0000-000000000000',
  vm2: '00000002-0000-0000-0000-000000000002',
  defaultDvm: '00000004-0000-0000-0000-000000000004',
};

/** Upstream's `TestPolicy`: one policy file, here a real file in a real directory. */
export class PolicyUnderTest {
  readonly tree = new TempTree();
  readonly dir = this.tree.path('policy.d');
  readonly file = join(this.dir, '50-test.policy');
  readonly state: PolicyState;

  constructor(
    text: string,
    extra: Record<string, string> = {},
    readonly info: SystemInfo = upstreamInfo(),
  ) {
    this.tree.write('policy.d/50-test.policy', text);
    for (const [rel, body] of Object.entries(extra)) this.tree.write(rel, body);
    try {
      this.state = new IndexedPolicy(loadPolicyRules([this.dir], { legacyDir: this.tree.path('legacy') }));
    } catch (err) {
      if (!(err instanceof AccessDeniedError)) throw err;
      this.state = err;
    }
  }

  get rules(): IndexedPolicy {
    assert.ok(this.state instanceof IndexedPolicy, `policy failed to load: ${String(this.state)}`);
    return this.state;
  }

  /** The load error, with the temporary directory shown as `DIR`. */
  get loadError(): string {
    assert.ok(this.state instanceof AccessDeniedError, 'the policy loaded');
    return this.state.message.split(this.tree.root).join('ROOT');
  }

  evaluate(source: string, target: string, service = 'test.Service', argument = '+argument'): EvaluationView {
    return view(evaluateRequest(this.state, this.info, { service, argument, source, target }));
  }

  answer(source: string, target: string, mode: Partial<DaemonMode> = {}): string {
    return renderDaemonResponse(this.evaluate(source, target), this.info, {
      justEvaluate: false,
      assumeYesForAsk: false,
      ...mode,
    });
  }

  /** `FILE:LINE` as upstream prints a rule's place in messages. */
  at(line: number): string {
    return `${this.file}:${line}`;
  }

  dispose(): void {
    this.tree.dispose();
  }
}

/** Indented policy text as upstream's tests write it; every line is stripped when read. */
export const policyText = (...lines: string[]): string => lines.map((l) => `            ${l}\n`).join('');
