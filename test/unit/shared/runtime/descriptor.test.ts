import assert from 'node:assert/strict';
import {
  contextFromEnv,
  formatDescriptor,
  parseDescriptor,
  splitServiceName,
} from '../../../../shared/runtime/descriptor';
import { BadRequestError } from '../../../../shared/errors/qnet-error';

describe('qrexec descriptor and environment', () => {
  it('splits NAME+ARG at the first plus', () => {
    assert.deepEqual(splitServiceName('qubes.Svc+a+b'), { service: 'qubes.Svc', argument: 'a+b' });
    assert.deepEqual(splitServiceName('qubes.Svc'), { service: 'qubes.Svc', argument: '' });
    assert.deepEqual(splitServiceName('qubes.Svc+'), { service: 'qubes.Svc', argument: '' });
  });

  it('parses the VM and the dom0 descriptor forms', () => {
    assert.deepEqual(parseDescriptor('qubes.NetConfig work'), {
      service: 'qubes.NetConfig',
      argument: '',
      source: 'work',
    });
    assert.deepEqual(parseDescriptor('qubes.NetConfig+x work keyword adminvm'), {
      service: 'qubes.NetConfig',
      argument: 'x',
      source: 'work',
      requestedTarget: { type: 'keyword', value: 'adminvm' },
    });
    assert.equal(formatDescriptor(parseDescriptor('a.B+c d name dom0')), 'a.B+c d name dom0');
  });

  it('rejects malformed descriptors', () => {
    for (const bad of [
      '',
      'qubes.NetConfig',
      'qubes.NetConfig work extra',
      'bad/name work',
      'q.S 1work',
      'q.S work other dom0',
      'q.S+a/b work',
    ]) {
      assert.throws(() => parseDescriptor(bad), BadRequestError, JSON.stringify(bad));
    }
  });

  it('reads the executable form context from the qrexec environment', () => {
    const ctx = contextFromEnv(
      {
        QREXEC_REMOTE_DOMAIN: 'work',
        QREXEC_SERVICE_FULL_NAME: 'qubes.NetConfig+arg',
        QREXEC_SERVICE_ARGUMENT: 'arg',
        QREXEC_REQUESTED_TARGET_TYPE: 'keyword',
        QREXEC_REQUESTED_TARGET_KEYWORD: '@adminvm',
      },
      'qubes.NetConfig',
    );
    assert.deepEqual(ctx, {
      service: 'qubes.NetConfig',
      argument: 'arg',
      source: 'work',
      requestedTarget: { type: 'keyword', value: 'adminvm' },
    });
    assert.throws(() => contextFromEnv({}, 'qubes.NetConfig'), /QREXEC_REMOTE_DOMAIN/);
  });
});
