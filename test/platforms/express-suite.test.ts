// The shared behaviour suite against eventide/express on Express 4 and 5.
import { runBehaviourSuite } from './suite.js';
import { expressTarget } from './targets/express.js';

runBehaviourSuite(expressTarget('express 4'));
runBehaviourSuite(expressTarget('express 5'));
