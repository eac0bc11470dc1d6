// The connection's frame queue: queues fed the same frames share one array, and whatever the
// order of pushes, takes and clears, each queue gives back exactly the frames it was given.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlushPass } from '../../src/connection/flush-scheduler.js';
import { FrameQueue } from '../../src/connection/frame-queue.js';

const frame = (text: string) => Buffer.from(text);
const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString());

test('queues fed the same run follow one array, diverge on a different frame, and each takes its own frames', () => {
  const f = ['a', 'b', 'c', 'd'].map(frame);
  const other = frame('X');
  const [q1, q2, q3] = [new FrameQueue(), new FrameQueue(), new FrameQueue()];
  // Event-major order (one event to every queue, then the next) for q1 and q2.
  for (const fr of f.slice(0, 3)) {
    q1.push(fr);
    q2.push(fr);
  }
  // Subscriber-major for q3, which diverges after two frames.
  q3.push(f[0]);
  q3.push(f[1]);
  q3.push(other);
  // The leader goes on after a follower stopped at three.
  q1.push(f[3]);
  assert.equal(q1.length, 4);
  assert.equal(q2.length, 3);
  assert.equal(q3.length, 3);
  assert.equal(q3.bytes, 3);
  const pass = new FlushPass();
  assert.equal(text(q2.take(pass)), 'abc');
  assert.equal(text(q1.take(pass)), 'abcd');
  assert.equal(text(q3.take(pass)), 'abX');
  assert.equal(q1.length + q2.length + q3.length, 0);
  assert.equal(q1.bytes + q2.bytes + q3.bytes, 0);
});

test('one join serves every queue of the same run in a pass; a shorter run gets its own', () => {
  const f = ['a', 'b', 'c'].map(frame);
  const queues = Array.from({ length: 5 }, () => new FrameQueue());
  for (const q of queues) for (const fr of f) q.push(fr);
  const short = new FrameQueue();
  short.push(f[0]);
  short.push(f[1]);
  const pass = new FlushPass();
  const joined = queues.map((q) => q.take(pass));
  for (const j of joined) assert.equal(j, joined[0], 'the same buffer');
  assert.equal(text(joined[0]), 'abc');
  assert.equal(text(short.take(pass)), 'ab');
});

test('a leader that is taken and refilled never changes what a follower holds', () => {
  const [a, b, c] = ['a', 'b', 'c'].map(frame);
  const leader = new FrameQueue();
  const follower = new FrameQueue();
  leader.push(a);
  follower.push(a);
  const pass = new FlushPass();
  // A single frame taken by a followed leader: its array is not emptied in place.
  assert.equal(text(leader.take(pass)), 'a');
  leader.push(b);
  leader.push(c);
  follower.push(b);
  assert.equal(text(follower.take(new FlushPass())), 'ab');
  assert.equal(text(leader.take(new FlushPass())), 'bc');
});

test('a cleared leader leaves its followers intact, and a quiet queue reuses its array', () => {
  const [a, b] = ['a', 'b'].map(frame);
  const leader = new FrameQueue();
  const follower = new FrameQueue();
  leader.push(a);
  follower.push(a);
  leader.clear();
  assert.equal(leader.length, 0);
  leader.push(b);
  follower.push(b);
  assert.equal(text(follower.take(new FlushPass())), 'ab');
  assert.equal(text(leader.take(new FlushPass())), 'b');
  // Nothing follows a queue whose frames nobody else received: one frame in, one frame out, again.
  const alone = new FrameQueue();
  for (let i = 0; i < 3; i++) {
    const only = frame(`z${i}`);
    alone.push(only);
    assert.equal(alone.take(new FlushPass()), only);
  }
  assert.equal(alone.take(new FlushPass()), undefined);
});

test('random interleavings: every queue takes exactly the frames it was given, in order', () => {
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((seed / 2 ** 31) * n); // the high bits: an LCG's low bits repeat with a short period
  };
  const pool = Array.from({ length: 6 }, (_, i) => frame(String.fromCharCode(97 + i)));
  const queues = Array.from({ length: 8 }, () => new FrameQueue());
  const expected: string[] = queues.map(() => '');
  let pass = new FlushPass();
  for (let step = 0; step < 20_000; step++) {
    const i = rand(queues.length);
    const op = rand(10);
    if (op < 7) {
      // Mostly the same frames in the same order, as a fan-out gives them.
      const fr = rand(4) === 0 ? pool[rand(pool.length)] : pool[expected[i].length % pool.length];
      queues[i].push(fr);
      expected[i] += text(fr);
    } else if (op < 9) {
      assert.equal(text(queues[i].take(pass)) ?? '', expected[i], `step ${step}, queue ${i}`);
      expected[i] = '';
      if (rand(3) === 0) pass = new FlushPass();
    } else {
      queues[i].clear();
      expected[i] = '';
    }
    assert.equal(queues[i].length, expected[i].length);
    assert.equal(queues[i].bytes, expected[i].length);
  }
});
