import { useQuery } from '@tanstack/react-query';
import { Link, useLocation } from 'wouter';

import { queries } from '../api';
import { useCanManage } from '../session-context';

/** Which section a path belongs to: a webhook's pages are under Webhooks, a delivery's under the log. */
function sectionOf(path: string): string {
  if (path === '/' || path.startsWith('/webhooks')) return '/';
  return `/${path.split('/')[1] ?? ''}`;
}

function NavLink({ to, children }: { to: string; children: string }) {
  const [location] = useLocation();
  const active = sectionOf(location) === to;
  return (
    <Link to={to} className={active ? 'nav-link active' : 'nav-link'} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

export function Nav() {
  const canManage = useCanManage();
  return (
    <nav className="nav" aria-label="Portal">
      <ul>
        <li>
          <NavLink to="/">Webhooks</NavLink>
        </li>
        <li>
          <NavLink to="/deliveries">Delivery log</NavLink>
        </li>
        <li>
          <NavLink to="/events">Events</NavLink>
        </li>
        <li>
          <NavLink to="/settings">Settings</NavLink>
        </li>
      </ul>
      {!canManage && (
        <span className="badge badge-readonly" title="This link can look at everything and change nothing.">
          Read-only
        </span>
      )}
    </nav>
  );
}

/** The portal's own header: the app's name and the navigation. A host page that has its own hides it. */
export function Header() {
  const app = useQuery(queries.app());
  return (
    <header className="header">
      <div className="header-inner">
        <p className="brand">
          <span className="brand-app">{app.data?.name ?? '\u00a0'}</span>
          <span className="brand-sub">Webhooks</span>
        </p>
        <Nav />
      </div>
    </header>
  );
}
