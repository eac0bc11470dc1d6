// The behaviour suite inside Bun, against createFetchHandler on Bun.serve.
import { reportSuiteUnder } from './suite-runner.js';

reportSuiteUnder('bun');
