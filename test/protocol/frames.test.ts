// Frames kept on eventide's own frozen events: found on the event itself, never on a copy of it or
// on an object that only inherits from it (those are encoded from their own fields).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeCounter, frameOf, freezeWithFrame, ownFrameOf } from '../../src/protocol/frames.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();

test('an event frozen with its frame gives that frame, without encoding', () => {
  const frame = Buffer.from('id: 7\ndata: "kept"\n\n');
  const event = freezeWithFrame({ id: '7', data: 'kept' }, frame);
  const before = encodeCounter.count;
  assert.equal(frameOf(event), frame);
  assert.equal(ownFrameOf(event), frame);
  assert.equal(encodeCounter.count, before);
  assert.ok(Object.isFrozen(event));
  assert.deepEqual(Object.keys(event), ['id', 'data'], 'the frame is not an enumerable property');
});

test('a copy or a changed copy of such an event is encoded from its own fields', () => {
  const event = freezeWithFrame({ id: '7', data: 'kept' }, Buffer.from('id: 7\ndata: kept\n\n'));
  assert.equal(ownFrameOf({ ...event }), undefined);
  assert.equal(text(frameOf({ ...event, data: 'changed' })), 'id: 7\ndata: changed\n\n');
  assert.equal(text(frameOf(Object.assign({}, event, { id: '8' }))), 'id: 8\ndata: kept\n\n');
  const heir = Object.create(event, { data: { value: 'own', enumerable: true } });
  assert.equal(ownFrameOf(heir), undefined, 'an object inheriting from the event is not the event');
  assert.equal(text(frameOf(heir)), 'id: 7\ndata: own\n\n', 'encoded from what it has, the inherited id included');
});

test('values that are not objects have no own frame', () => {
  for (const value of [undefined, null, 1, 'text', true]) assert.equal(ownFrameOf(value), undefined);
});
