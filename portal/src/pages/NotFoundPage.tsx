import { Link } from 'wouter';

import { Page } from '../components/Page';

export function NotFoundPage() {
  return (
    <Page title="Page not found">
      <p>There is no portal page at this address.</p>
      <Link to="/">Go to the webhooks</Link>
    </Page>
  );
}
