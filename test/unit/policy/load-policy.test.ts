import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { loadFailure } from '../../../policy/loader/py-path';
import { AccessDeniedError, PolicySyntaxError } from '../../../policy/errors';
import { listPolicyFiles, loadPolicyRules } from '../../../policy/loader/load-policy';
import { TempTree } from './policy-fixtures';

describe('policy/loader/load-policy', () => {
  let tree: TempTree;
  beforeEach(() => {
    tree = new TempTree();
  });
  afterEach(() => tree.dispose());

  const load = (dirs = [tree.path('a')]) => loadPolicyRules(dirs, { legacyDir: tree.path('legacy') });
  const loadError = (dirs?: string[]) => {
    try {
      load(dirs);
    } catch (err) {
      assert.ok(err instanceof AccessDeniedError, String(err));
      return err.message;
    }
    assert.fail('the policy loaded');
  };

  it('reads *.policy files sorted by name, skipping hidden and other files', () => {
    tree.write('a/20-b.policy', 's * b b deny\n');
    tree.write('a/10-a.policy', 's * a a deny\n');
    tree.write('a/.hidden.policy', 'garbage\n');
    tree.write('a/notes.txt', 'garbage\n');
    tree.write('a/README', 'garbage\n');
    assert.deepEqual(
      load().map((r) => r.source.text),
      ['a', 'b'],
    );
  });

  it('refuses a *.policy entry that is not a regular file (upstream skips it; qnet fails closed)', () => {
    tree.write('a/10-a.policy', 's * a a deny\n');
    mkdirSync(tree.path('a/dir.policy'));
    assert.throws(() => load(), { message: `failed to load ${tree.path('a/dir.policy')} file: not a regular file` });
  });

  it('lets the first directory win for the same basename and sorts across directories', () => {
    tree.write('run/30-x.policy', 's * run run deny\n');
    tree.write('etc/30-x.policy', 's * etc etc deny\n');
    tree.write('etc/10-y.policy', 's * y y deny\n');
    const rules = load([tree.path('run'), tree.path('etc')]);
    assert.deepEqual(
      rules.map((r) => r.source.text),
      ['y', 'run'],
    );
    assert.equal(rules[1].relFile, '30-x.policy');
  });

  it('denies everything on a file name outside [0-9a-z_.-]', () => {
    tree.write('a/10-ok.policy', '');
    tree.write('a/Bad.policy', '');
    assert.equal(loadError(), `invalid filename: ${tree.path('a/Bad.policy')}`);
  });

  it('names a missing policy directory the way Python prints the OSError', () => {
    const dir = tree.path('missing');
    assert.equal(loadError([dir]), `failed to load ${dir} file: [Errno 2] No such file or directory: '${dir}'`);
  });

  it('skips comments and blank lines, counts \\r\\n, \\r and \\n as line ends', () => {
    tree.write('a/x.policy', '# c\n\n   \n\t# indented comment\r\ns * a b deny\rs * c d deny\n');
    assert.deepEqual(
      load().map((r) => r.line),
      [5, 6],
    );
  });

  it('refuses a comment after a rule (comments take whole lines only)', () => {
    tree.write('a/x.policy', 's * a b deny # no\n');
    assert.match(loadError(), /x\.policy:1: invalid action parameter syntax: '#'$/);
  });

  it('stops at the first error with file and line', () => {
    tree.write('a/x.policy', 's * a b deny\ns * a b\n');
    assert.equal(loadError(), `${tree.path('a/x.policy')}:2: wrong number of fields`);
  });

  it('refuses an unknown directive and wrong parameter counts', () => {
    tree.write('a/x.policy', '!nope\n');
    assert.match(loadError(), /x\.policy:1: invalid directive$/);
    tree.write('a/x.policy', '!include a b\n');
    assert.match(loadError(), /x\.policy:1: invalid number of params$/);
    tree.write('a/x.policy', '!include-dir\n');
    assert.match(loadError(), /x\.policy:1: invalid number of params$/);
    tree.write('a/x.policy', '!include-service s * \n');
    assert.match(loadError(), /x\.policy:1: invalid number of params$/);
    tree.write('a/x.policy', '!compat-4.0 x\n');
    assert.match(loadError(), /x\.policy:1: invalid number of params$/);
  });

  it('!include reads a file relative to the policy directory, in place', () => {
    tree.write('a/x.policy', 's * first x deny\n!include inc/more\ns * last x deny\n');
    tree.write('a/inc/more', 's * middle x deny\n');
    const rules = load();
    assert.deepEqual(
      rules.map((r) => r.source.text),
      ['first', 'middle', 'last'],
    );
    assert.equal(rules[1].file, tree.path('a/inc/more'));
    assert.equal(rules[1].relFile, 'inc/more');
  });

  it('!include of a missing file is an error at the directive', () => {
    tree.write('a/x.policy', 's * a b deny\n!include nothere\n');
    assert.equal(loadError(), `${tree.path('a/x.policy')}:2: not a file: ${tree.path('a/nothere')}`);
  });

  it('!include-dir reads the valid *.policy files of a directory', () => {
    tree.write('a/x.policy', '!include-dir sub\n');
    tree.write('a/sub/2.policy', 's * two x deny\n');
    tree.write('a/sub/1.policy', 's * one x deny\n');
    tree.write('a/sub/skip.txt', 'garbage\n');
    assert.deepEqual(
      load().map((r) => r.source.text),
      ['one', 'two'],
    );
    tree.write('a/x.policy', '!include-dir nodir\n');
    assert.equal(loadError(), `${tree.path('a/x.policy')}:1: not a directory: ${tree.path('a/nodir')}`);
  });

  it('!include-service reads 4.0 lines with $ and comma substitutions', () => {
    tree.write('a/x.policy', '!include-service qubes.Svc +arg old\n');
    tree.write('a/old', '$anyvm $dispvm allow,user=root\n$include:older\n');
    tree.write('a/older', '$tag:x $anyvm deny\n');
    const rules = load();
    assert.equal(rules.length, 2);
    assert.equal(rules[0].service, 'qubes.Svc');
    assert.equal(rules[0].argument, '+arg');
    assert.equal(rules[0].target.kind, 'dispvm');
    assert.equal(rules[1].source.kind, 'tag');
    tree.write('a/old', '!include-dir x\n');
    assert.equal(loadError(), `${tree.path('a/old')}:1: invalid directive`);
    tree.write('a/x.policy', '!include-service q! * old\n');
    assert.match(loadError(), /x\.policy:1: service 'q!' contains invalid characters/);
  });

  it('!compat-4.0 reads the legacy directory with its implicit denies', () => {
    tree.write('a/x.policy', '!compat-4.0\n');
    tree.write('legacy/qubes.B', '@anyvm @anyvm ask\n');
    tree.write('legacy/qubes.B+arg', '@anyvm vault allow\n');
    tree.write('legacy/qubes.A', 'work @anyvm allow\n');
    tree.write('legacy/bad name', 'x\n');
    const rules = load();
    assert.deepEqual(
      rules.map((r) => [r.service, r.argument, r.source.text, r.target.text, r.action.type, r.line]),
      [
        ['qubes.A', null, 'work', '@anyvm', 'allow', 1],
        ['qubes.B', '+arg', '@anyvm', 'vault', 'allow', 1],
        ['qubes.B', '+arg', '@anyvm', '@anyvm', 'deny', 0],
        ['qubes.B', '+arg', '@anyvm', '@adminvm', 'deny', 0],
        ['qubes.B', null, '@anyvm', '@anyvm', 'ask', 1],
      ],
    );
  });

  it('!compat-4.0 without a legacy directory denies everything', () => {
    tree.write('a/x.policy', '!compat-4.0\n');
    const legacy = tree.path('legacy');
    assert.equal(loadError(), `failed to load ${legacy} file: [Errno 2] No such file or directory: '${legacy}'`);
  });

  it('detects an include loop instead of recursing forever', () => {
    tree.write('a/x.policy', '!include loop1\n');
    tree.write('a/loop1', '!include loop2\n');
    tree.write('a/loop2', '!include loop1\n');
    assert.equal(loadError(), `${tree.path('a/loop2')}:1: include loop: ${tree.path('a/loop1')}`);
  });

  it('names a binary (non-UTF-8) file', () => {
    tree.write('a/x.policy', Buffer.from([0xff, 0xfe, 0x00, 0x41]));
    assert.equal(loadError(), `failed to load ${tree.path('a/x.policy')} file: not valid UTF-8 text`);
  });

  it('refuses a huge line, naming file and line', () => {
    tree.write('a/x.policy', `s * a b deny\n${'x'.repeat((1 << 20) + 1)}\n`);
    assert.equal(loadError(), `${tree.path('a/x.policy')}:2: line too long (over 1048576 characters)`);
  });

  it('names a policy directory that is a file', () => {
    const p = tree.write('plainfile', '');
    assert.equal(loadError([p]), `failed to load ${p} file: [Errno 20] Not a directory: '${p}'`);
  });

  it('prints permission errors as Python does', () => {
    const err = loadFailure(Object.assign(new Error('x'), { code: 'EACCES' }), "/p/it's");
    assert.equal(err.message, `failed to load /p/it's file: [Errno 13] Permission denied: "/p/it's"`);
  });

  it('follows symlinked policy files but not dangling ones', () => {
    tree.write('elsewhere/real', 's * linked x deny\n');
    mkdirSync(tree.path('a'));
    symlinkSync(tree.path('elsewhere/real'), tree.path('a/10-link.policy'));
    symlinkSync(tree.path('elsewhere/none'), tree.path('a/20-dangling.policy'));
    assert.deepEqual(listPolicyFiles(tree.path('a')), [tree.path('a/10-link.policy')]);
  });

  it('collects every error in checker mode', () => {
    tree.write('a/x.policy', 's * a b\ns * a b deny\ns * @bad b deny\n!include nothere\n');
    tree.write('a/y.policy', 'q * a b permit\n');
    const errors: string[] = [];
    const rules = loadPolicyRules([tree.path('a')], { onError: (e) => errors.push(e.message) });
    assert.equal(rules.length, 1);
    assert.equal(errors.length, 4);
    assert.ok(errors.every((e) => /\.policy:\d+: /.test(e)));
    assert.ok(errors[0].endsWith('x.policy:1: wrong number of fields'));
    assert.ok(errors[3].endsWith('y.policy:1: invalid action: permit'));
  });

  it('throws only PolicySyntaxError for syntax problems', () => {
    tree.write('a/x.policy', 's * a b maybe\n');
    assert.throws(() => load(), PolicySyntaxError);
  });
});
