import fs from 'node:fs';
import path from 'node:path';

import { PACKAGE_ROOT } from './package-root';

export const VERSION: string = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;
export const USER_AGENT = `chat-webhooks/${VERSION}`;
