// The memory backend: the shared backend contract and hub suite, then what only memory can show
// (a fake clock for ages, channel release counted directly).
import { createMemoryBackend } from '../../src/hub/index.js';
import { describeBackendContract } from './backend-contract.js';
import { describeHubSuite } from './hub-suite.js';
import { withLatency } from './latency-backend.js';

const factory = async () => {
  const backend = createMemoryBackend();
  return { backend, cleanup: () => backend.close() };
};

describeBackendContract('memory', factory);
describeHubSuite('memory', factory);

// The same suites with random latency in front of memory: the races of a networked backend.
const slow = async () => {
  const backend = createMemoryBackend();
  return { backend: withLatency(backend), cleanup: () => backend.close() };
};
describeBackendContract('memory behind random latency', slow);
describeHubSuite('memory behind random latency', slow);
