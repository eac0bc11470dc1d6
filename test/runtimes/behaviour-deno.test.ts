// The behaviour suite inside Deno, against createFetchHandler on Deno.serve.
import { reportSuiteUnder } from './suite-runner.js';

reportSuiteUnder('deno');
