// The framework checks with eventide controllers served inside Nest apps (EventideModule.forRoot({ controllers })).
import { runFrameworkChecks } from './targets/checks.js';
import { nestTarget } from './targets/nest.js';

runFrameworkChecks(nestTarget('express'));
runFrameworkChecks(nestTarget('fastify'));
