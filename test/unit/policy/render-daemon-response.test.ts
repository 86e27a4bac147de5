import assert from 'node:assert/strict';
import {
  encodeDaemonAnswer,
  renderDaemonResponse,
  type DaemonMode,
} from '../../../policy/daemon/render-daemon-response';
import { evaluateText, sampleInfo } from './policy-fixtures';

const NORMAL: DaemonMode = { justEvaluate: false, assumeYesForAsk: false };
const answer = (text: string, source: string, target: string, mode: DaemonMode = NORMAL) =>
  renderDaemonResponse(evaluateText(text, { service: 'qubes.S', source, target }), sampleInfo(), mode);

describe('policy/daemon/render-daemon-response', () => {
  it('answers an allow with the six lines qrexec-daemon parses, without a trailing newline', () => {
    assert.equal(
      answer('qubes.S * work vault allow user=root autostart=yes', 'work', 'vault'),
      'user=root\nresult=allow\ntarget=vault\ntarget_uuid=uuid:33333333-3333-3333-3333-333333333333\n' +
        'autostart=True\nrequested_target=vault',
    );
  });

  it('reports the normalised request target and a disposable by template uuid', () => {
    assert.equal(
      answer('qubes.S * work @dispvm allow autostart=yes', 'work', '@dispvm'),
      'user=DEFAULT\nresult=allow\ntarget=@dispvm:default-dvm\n' +
        'target_uuid=@dispvm:uuid:44444444-4444-4444-4444-444444444444\nautostart=True\nrequested_target=@dispvm',
    );
    assert.equal(
      answer('qubes.S * work @adminvm allow', 'work', 'dom0'),
      'user=DEFAULT\nresult=allow\ntarget=dom0\nautostart=True\nrequested_target=dom0',
    );
    assert.match(answer('qubes.S * work @default allow target=vault', 'work', 'ghost'), /requested_target=@default$/);
  });

  it('returns the handler text as is, and the socket refuses non-ASCII text, which upstream fails to encode', () => {
    const text = answer('qubes.S * work vault allow user=j\u00f6rg', 'work', 'vault');
    assert.match(text, /^user=j\u00f6rg\nresult=allow\n/);
    assert.equal(encodeDaemonAnswer(text), 'result=deny');
    assert.equal(encodeDaemonAnswer('result=allow'), 'result=allow');
  });

  it('prints autostart=no as False', () => {
    assert.match(answer('qubes.S * work personal allow autostart=no', 'work', 'personal'), /\nautostart=False\n/);
  });

  it('answers result=deny for every refusal', () => {
    assert.equal(answer('qubes.S * work vault deny', 'work', 'vault'), 'result=deny');
    assert.equal(answer('qubes.S * work vault allow', 'work', 'personal'), 'result=deny');
    assert.equal(answer('qubes.S * work @anyvm allow target=work', 'work', 'vault'), 'result=deny');
  });

  it('just_evaluate answers a bare result and refuses an ask', () => {
    const mode = { justEvaluate: true, assumeYesForAsk: false };
    assert.equal(answer('qubes.S * work vault allow', 'work', 'vault', mode), 'result=allow');
    assert.equal(answer('qubes.S * work vault ask', 'work', 'vault', mode), 'result=deny');
  });

  it('assume_yes_for_ask takes the intended target when it is offered', () => {
    const yes = { justEvaluate: false, assumeYesForAsk: true };
    assert.match(
      answer('qubes.S * work vault ask', 'work', 'vault', yes),
      /^user=DEFAULT\nresult=allow\ntarget=vault\n/,
    );
    assert.equal(answer('qubes.S * work @default ask target=vault', 'work', '', yes), 'result=deny');
    assert.equal(
      answer('qubes.S * work vault ask', 'work', 'vault', { justEvaluate: true, assumeYesForAsk: true }),
      'result=allow',
    );
  });

  it('an ask is settled by the user answer through the source GUI qube', () => {
    const text = 'qubes.S * work @anyvm ask';
    assert.match(answer(text, 'work', 'vault', { ...NORMAL, askResponse: 'allow:personal' }), /\ntarget=personal\n/);
    assert.equal(answer(text, 'work', 'vault', { ...NORMAL, askResponse: 'deny' }), 'result=deny');
    assert.equal(answer(text, 'work', 'vault', { ...NORMAL, askResponse: 'allow:work' }), 'result=deny');
    assert.equal(answer(text, 'work', 'vault', { ...NORMAL, askResponse: 'maybe' }), 'result=deny');
    assert.equal(answer(text, 'work', 'vault', NORMAL), 'result=deny');
    // vault has no GUI qube: nobody can be asked
    assert.equal(
      answer('qubes.S * vault @anyvm ask', 'vault', 'work', { ...NORMAL, askResponse: 'allow:work' }),
      'result=deny',
    );
  });
});
