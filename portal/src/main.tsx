import './styles.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { connect } from './api';
import { App } from './App';
import { ErrorBoundary } from './components/ErrorBoundary';
import { SessionProblem } from './components/SessionProblem';
import { loadSession } from './session';
import { applyTheme } from './theme';

const outcome = loadSession();
applyTheme(outcome.kind === 'ok' ? outcome.session.theme : {});
if (outcome.kind === 'ok') connect(outcome.session);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <ErrorBoundary>
      {outcome.kind === 'ok' ? <App session={outcome.session} /> : <SessionProblem problem={outcome.kind} />}
    </ErrorBoundary>
  </StrictMode>,
);
