import { type ReactNode, useEffect, useRef } from 'react';

let firstPage = true;

interface Props {
  /** The page's h1 and the start of the document title. */
  title: string;
  /** What the h1 shows when it differs from the title, e.g. a URL. */
  heading?: ReactNode;
  /** Buttons and links beside the heading. */
  actions?: ReactNode;
  /** A line under the heading. */
  lead?: ReactNode;
  children: ReactNode;
}

/**
 * A page: its title in the tab, one h1, and after a navigation the focus on that h1, so that a screen reader says
 * where the reader has arrived and Tab starts from the top of the new page.
 */
export function Page({ title, heading, actions, lead, children }: Props) {
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Webhooks portal`;
  }, [title]);
  useEffect(() => {
    if (firstPage) firstPage = false;
    else h1.current?.focus();
  }, []);
  return (
    <>
      <div className="page-head">
        <div className="page-head-text">
          <h1 ref={h1} tabIndex={-1}>
            {heading ?? title}
          </h1>
          {lead && <p className="lead">{lead}</p>}
        </div>
        {actions && <div className="page-actions">{actions}</div>}
      </div>
      {children}
    </>
  );
}
