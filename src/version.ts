// package.json sits two levels above both src/ and dist/src/, so this path holds for tsx and for the build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = require('../package.json').version;
export const USER_AGENT = `chat-webhooks/${VERSION}`;
