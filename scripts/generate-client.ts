/**
 * `npm run client:generate`: writes src/client/openapi.generated.ts, the TypeScript types of the API, with openapi-typescript
 * from the document the route declarations build. The file is checked in; a unit test fails when it is stale.
 */
import fs from 'node:fs';
import path from 'node:path';

import { PACKAGE_ROOT } from '../src/package-root';
import { generateClientTypes } from '../support/client-types';

const target = path.join(PACKAGE_ROOT, 'src', 'client', 'openapi.generated.ts');

generateClientTypes()
  .then((source) => {
    fs.writeFileSync(target, source);
    process.stdout.write(`wrote ${path.relative(PACKAGE_ROOT, target)}\n`);
  })
  .catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
