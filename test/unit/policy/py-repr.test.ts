import assert from 'node:assert/strict';
import { compareCodePoints, pyListRepr, pyRepr, pySplit, pyStrip, pyTupleRepr } from '../../../policy/parser/py-repr';

describe('policy/parser/py-repr', () => {
  it('quotes like Python repr()', () => {
    assert.equal(pyRepr('abc'), "'abc'");
    assert.equal(pyRepr("it's"), `"it's"`);
    assert.equal(pyRepr(`it's "x"`), `'it\\'s "x"'`);
    assert.equal(pyRepr('a\\b'), "'a\\\\b'");
    assert.equal(pyRepr('\t\n\r'), "'\\t\\n\\r'");
    assert.equal(pyRepr('\x00\x7f'), "'\\x00\\x7f'");
    assert.equal(pyRepr('\u200b'), "'\\u200b'");
    assert.equal(pyRepr('é€'), "'é€'");
  });

  it('prints tuples and lists like Python', () => {
    assert.equal(pyTupleRepr(['!']), "('!',)");
    assert.equal(pyTupleRepr(['!', '$']), "('!', '$')");
    assert.equal(pyListRepr([]), '[]');
    assert.equal(pyListRepr(['a=b', 'c']), "['a=b', 'c']");
  });

  it('splits and strips on Python whitespace, not on a BOM', () => {
    assert.deepEqual(pySplit(' a\x1cb\u3000c \x85'), ['a', 'b', 'c']);
    assert.deepEqual(pySplit('   '), []);
    assert.equal(pyStrip('\ufeffx '), '\ufeffx');
  });

  it('orders strings by code point', () => {
    assert.ok(compareCodePoints('\u{1F600}', '\uffff') > 0);
    assert.ok(compareCodePoints('a', 'ab') < 0);
    assert.equal(compareCodePoints('x', 'x'), 0);
  });
});
