// Parameter injection: what each parameter decorator (experimentalDecorators) picks from the context.
import type { ParamSpec } from '../router/metadata.js';
import type { RequestContext } from './context.js';

/** The handler's arguments: the whole context, or what its parameter decorators ask for. */
export function argumentsFor(specs: ParamSpec[] | undefined, ctx: RequestContext): unknown[] {
  if (!specs || specs.length === 0) return [ctx];
  const args: unknown[] = [];
  for (const spec of specs) {
    const pick = (all: Readonly<Record<string, unknown>>) => (spec.name === undefined ? all : all[spec.name]);
    switch (spec.kind) {
      case 'context': args[spec.index] = ctx; break;
      case 'param': args[spec.index] = pick(ctx.params); break;
      case 'query': args[spec.index] = pick(ctx.query); break;
      case 'headers': args[spec.index] = pick(ctx.headers as Record<string, unknown>); break;
      case 'body': args[spec.index] = ctx.body; break;
      case 'lastEventId': args[spec.index] = ctx.lastEventId; break;
      case 'signal': args[spec.index] = ctx.signal; break;
      case 'req': args[spec.index] = ctx.req; break;
      case 'res': args[spec.index] = ctx.res; break;
    }
  }
  return args;
}

