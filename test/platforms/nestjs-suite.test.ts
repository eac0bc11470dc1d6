// The shared behaviour suite against Nest apps on the express and the fastify adapter, serving
// eventide controllers through EventideModule.forRoot({ controllers }).
import { runBehaviourSuite } from './suite.js';
import { nestTarget } from './targets/nest.js';

runBehaviourSuite(nestTarget('express'));
runBehaviourSuite(nestTarget('fastify'));
