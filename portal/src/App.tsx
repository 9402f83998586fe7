import { QueryClientProvider } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { Route, Router, Switch, useLocation } from 'wouter';

import { queryClient } from './api';
import { ErrorBoundary } from './components/ErrorBoundary';
import { Header, Nav } from './components/Header';
import { SessionProblem } from './components/SessionProblem';
import { DeliveriesPage } from './pages/DeliveriesPage';
import { DeliveryPage } from './pages/DeliveryPage';
import { EditWebhookPage } from './pages/EditWebhookPage';
import { EventsPage } from './pages/EventsPage';
import { NewWebhookPage } from './pages/NewWebhookPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { SettingsPage } from './pages/SettingsPage';
import { WebhookPage } from './pages/WebhookPage';
import { WebhooksPage } from './pages/WebhooksPage';
import { type Session, sessionEnd, subscribeSessionEnd } from './session';
import { SessionContext } from './session-context';

function Routes() {
  const [location] = useLocation();
  return (
    // A page that failed to render is left behind by navigating: the boundary starts afresh per path.
    <ErrorBoundary key={location}>
      <Switch>
        <Route path="/" component={WebhooksPage} />
        <Route path="/webhooks/new" component={NewWebhookPage} />
        <Route path="/webhooks/:id/edit" component={EditWebhookPage} />
        <Route path="/webhooks/:id" component={WebhookPage} />
        <Route path="/deliveries" component={DeliveriesPage} />
        <Route path="/deliveries/:id" component={DeliveryPage} />
        <Route path="/events" component={EventsPage} />
        <Route path="/settings" component={SettingsPage} />
        <Route component={NotFoundPage} />
      </Switch>
    </ErrorBoundary>
  );
}

export function App({ session }: { session: Session }) {
  const ended = useSyncExternalStore(subscribeSessionEnd, sessionEnd);
  if (ended) return <SessionProblem problem={ended} />;
  return (
    <SessionContext.Provider value={session}>
      <QueryClientProvider client={queryClient}>
        <Router base="/portal">
          <a className="skip-link" href="#main">
            Skip to content
          </a>
          {session.theme.hide_header ? (
            <div className="subnav">
              <Nav />
            </div>
          ) : (
            <Header />
          )}
          <main id="main" className="main" tabIndex={-1}>
            <Routes />
          </main>
        </Router>
      </QueryClientProvider>
    </SessionContext.Provider>
  );
}
