import { useEffect } from 'react';

import type { SessionEnd } from '../session';

type Problem = 'missing' | SessionEnd;

const TEXT: Record<Problem, { title: string; body: string }> = {
  missing: {
    title: 'This page needs a portal link',
    body: 'Open the webhooks portal from your app\u2019s settings: the link you get there signs you in for a while.',
  },
  expired: {
    title: 'This link has expired \u2014 ask for a new one from your app\u2019s settings',
    body: 'Portal links work for a limited time. Open the portal again from your app\u2019s settings to get a fresh one.',
  },
  revoked: {
    title: 'This link was revoked',
    body: 'Every portal link of this app was ended. Open the portal again from your app\u2019s settings to get a new link.',
  },
  invalid: {
    title: 'This link is not valid',
    body: 'The link may be incomplete or changed. Open the portal again from your app\u2019s settings.',
  },
};

/** The whole page when there is no usable session: what happened and what to do. */
export function SessionProblem({ problem }: { problem: Problem }) {
  const { title, body } = TEXT[problem];
  useEffect(() => {
    document.title = `${title} · Webhooks portal`;
  }, [title]);
  return (
    <main id="main" className="session-problem">
      <div className="panel">
        <h1>{title}</h1>
        <p>{body}</p>
      </div>
    </main>
  );
}
