// The shared behaviour suite against eventide/fastify on Fastify 5.
import { runBehaviourSuite } from './suite.js';
import { fastifyTarget } from './targets/fastify.js';

runBehaviourSuite(fastifyTarget);
