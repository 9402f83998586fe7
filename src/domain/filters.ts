/**
 * Deterministic filters: a webhook's `filter` and a condition's `prefilter`, written in CEL (the Common Expression
 * Language, https://cel.dev) and run by @marcbachmann/cel-js. Pure code (no I/O), but not for workflows: the workflow
 * bundle has no use for a CEL parser, and filters run in activities (prepareEvent, evaluateConditions).
 *
 * Bounded by construction: CEL has no loops or recursion, and the checker below admits only the parts of the language
 * whose cost is linear in the expression's size times the event's size. Comprehension macros (all, exists, map,
 * filter, …) and cel.bind are refused, because nested over list literals they multiply (ten nested `.all` over ten
 * elements is 10^10 steps), and `matches` is refused because a user-written regular expression can backtrack for
 * ever (JavaScript's RegExp is not RE2). An expression is at most FILTER_MAX_LENGTH characters and FILTER_MAX_NODES
 * nodes.
 */
import type * as Cel from '@marcbachmann/cel-js' with { 'resolution-mode': 'import' };

import type { ChatEvent } from './events';

// The package is an ES module; Node ≥ 20.19 loads it through require, which keeps this CommonJS build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cel = require('@marcbachmann/cel-js') as typeof Cel;

export const FILTER_MAX_LENGTH = 1000;
export const FILTER_MAX_NODES = 200;

/**
 * The variables a filter sees, built from the event as the backend posted it (before the app's privacy settings,
 * which govern what leaves the service, not what the app's own rules may test). Absent text is "", so that
 * `message.contains("x")` never fails on an event without a message.
 */
export const FILTER_VARIABLES = [
  { name: 'event_type', type: 'string', description: '"message_sent", "user_signup" or "conversation_end".' },
  { name: 'app_id', type: 'string', description: "The app's id." },
  { name: 'event_id', type: 'string', description: "The event's id." },
  { name: 'conversation_id', type: 'string', description: 'The conversation\u2019s id; "" when there is none.' },
  { name: 'timestamp', type: 'timestamp', description: 'When the event occurred (timestamp.getHours("UTC") …).' },
  { name: 'user.id', type: 'string', description: 'The user\u2019s id; "" when not sent.' },
  { name: 'user.email', type: 'string', description: 'The user\u2019s email address; "" when not sent.' },
  { name: 'user.name', type: 'string', description: 'The user\u2019s display name; "" when not sent.' },
  { name: 'user.logged_in', type: 'bool', description: 'Whether the user is logged in; false when no user was sent.' },
  { name: 'message', type: 'string', description: 'The user\u2019s message (message_sent); "" otherwise.' },
  { name: 'response', type: 'string', description: 'The app\u2019s response (message_sent); "" otherwise.' },
] as const;

/** Methods and functions a filter may call: each costs at most linear time in its inputs. */
const ALLOWED_METHODS = new Set([
  'contains',
  'startsWith',
  'endsWith',
  'size',
  'lowerAscii',
  'upperAscii',
  'trim',
  'indexOf',
  'lastIndexOf',
  'substring',
  'getFullYear',
  'getMonth',
  'getDayOfMonth',
  'getDayOfWeek',
  'getDayOfYear',
  'getHours',
  'getMinutes',
  'getSeconds',
]);
const ALLOWED_FUNCTIONS = new Set(['size', 'has', 'int', 'string', 'double', 'bool', 'timestamp', 'duration']);

const environment = new cel.Environment({
  limits: { maxAstNodes: FILTER_MAX_NODES, maxDepth: 32, maxListElements: 100, maxMapEntries: 50, maxCallArguments: 4 },
})
  .registerVariable('event_type', 'string')
  .registerVariable('app_id', 'string')
  .registerVariable('event_id', 'string')
  .registerVariable('conversation_id', 'string')
  .registerVariable('timestamp', 'google.protobuf.Timestamp')
  .registerVariable({ name: 'user', schema: { id: 'string', email: 'string', name: 'string', logged_in: 'bool' } })
  .registerVariable('message', 'string')
  .registerVariable('response', 'string');

export interface FilterContext {
  event_type: string;
  app_id: string;
  event_id: string;
  conversation_id: string;
  timestamp: Date;
  user: { id: string; email: string; name: string; logged_in: boolean };
  message: string;
  response: string;
}

export function filterContext(event: ChatEvent): FilterContext {
  return {
    event_type: event.type,
    app_id: event.appId,
    event_id: event.eventId,
    conversation_id: event.conversationId ?? '',
    timestamp: new Date(event.occurredAt),
    user: {
      id: event.user?.id ?? '',
      email: event.user?.email ?? '',
      name: event.user?.name ?? '',
      logged_in: event.user?.loggedIn ?? false,
    },
    message: event.message ?? '',
    response: event.response ?? '',
  };
}

/** Why an expression was refused: a code, a sentence, and where in the expression (0-based, end exclusive). */
export interface FilterProblem {
  code: string;
  message: string;
  position: { start: number; end: number };
}

type Node = Cel.ASTNode;

/** The first node that uses a part of CEL outside the bounded subset, with why. */
function unboundedPart(node: Node): { node: Node; message: string } | undefined {
  if (node.op === 'rcall') {
    const [name, receiver, args] = node.args;
    if (receiver.op === 'id' && receiver.args === 'cel')
      return { node, message: `cel.${name} is not available in filters` };
    if (!ALLOWED_METHODS.has(name)) {
      return {
        node,
        message:
          name === 'matches'
            ? 'matches() is not available in filters (a regular expression can run unbounded): use contains, startsWith or endsWith'
            : `.${name}() is not available in filters`,
      };
    }
    return [receiver, ...args].map(unboundedPart).find(Boolean);
  }
  if (node.op === 'call') {
    const [name, args] = node.args;
    if (!ALLOWED_FUNCTIONS.has(name)) return { node, message: `${name}() is not available in filters` };
    return args.map(unboundedPart).find(Boolean);
  }
  if (node.op === 'value' || node.op === 'id') return undefined;
  const children: unknown[] = Array.isArray(node.args) ? node.args.flat(1) : [node.args];
  for (const child of children) {
    if (child && typeof child === 'object' && 'op' in child) {
      const found = unboundedPart(child as Node);
      if (found) return found;
    }
  }
  return undefined;
}

function rangeOf(error: unknown, fallbackEnd: number): { start: number; end: number } {
  const range = (error as { range?: { start: number; end: number } }).range;
  return range ? { start: range.start, end: range.end } : { start: 0, end: fallbackEnd };
}

const compiled = new Map<string, ReturnType<typeof environment.parse>>();
/** Parsed expressions, kept so that an event's filters are parsed once per process, not once per event. */
const COMPILED_MAX = 1000;

/**
 * Checks an expression as it is saved: it must parse, type-check against the event's variables, yield a bool and
 * stay within the bounded subset. Undefined when it is good.
 */
export function checkFilter(expression: string): FilterProblem | undefined {
  if (expression.length > FILTER_MAX_LENGTH) {
    return {
      code: 'too_long',
      message: `at most ${FILTER_MAX_LENGTH} characters`,
      position: { start: FILTER_MAX_LENGTH, end: expression.length },
    };
  }
  let parsed;
  try {
    parsed = environment.parse(expression);
  } catch (error) {
    const e = error as Cel.ParseError;
    return {
      code: e.code ?? 'parse_error',
      message: e.summary ?? e.message,
      position: rangeOf(e, expression.length),
    };
  }
  let checked: Cel.TypeCheckResult;
  try {
    checked = parsed.check();
  } catch (error) {
    const e = error as Cel.TypeError;
    return { code: e.code ?? 'type_error', message: e.summary ?? e.message, position: rangeOf(e, expression.length) };
  }
  if (!checked.valid) {
    const e = checked.error!;
    return { code: e.code ?? 'type_error', message: e.summary ?? e.message, position: rangeOf(e, expression.length) };
  }
  if (checked.type !== 'bool') {
    return {
      code: 'not_bool',
      message: `a filter must be true or false, and this one is a ${checked.type}`,
      position: { start: 0, end: expression.length },
    };
  }
  const unbounded = unboundedPart(parsed.ast);
  if (unbounded) {
    return {
      code: 'not_allowed',
      message: unbounded.message,
      position: { start: unbounded.node.range.start, end: unbounded.node.range.end },
    };
  }
  return undefined;
}

/** A problem as one line for an error message: `column 6: No such key: logged_n`. */
export function describeFilterProblem(problem: FilterProblem): string {
  return `column ${problem.position.start + 1}: ${problem.message}`;
}

export type FilterOutcome = { matched: boolean } | { matched: false; error: string };

/**
 * Runs a saved filter against an event. A filter that fails while running (an index out of range, a division by
 * zero) does not match; its error code is returned, never the values it saw.
 */
export function evaluateFilter(expression: string, context: FilterContext): FilterOutcome {
  let program = compiled.get(expression);
  try {
    if (!program) {
      // Saved expressions were checked; one stored before a stricter check must still stay in the bounded subset.
      const problem = checkFilter(expression);
      if (problem) return { matched: false, error: `invalid filter: ${problem.code}` };
      program = environment.parse(expression);
      if (compiled.size >= COMPILED_MAX) compiled.delete(compiled.keys().next().value!);
      compiled.set(expression, program);
    }
    return { matched: program(context) === true };
  } catch (error) {
    return { matched: false, error: `filter error: ${(error as { code?: string }).code ?? 'evaluation_failed'}` };
  }
}
