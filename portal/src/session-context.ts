/** The session every component may read: its app, its rights and its theme. */
import { createContext, useContext } from 'react';

import type { Session } from './session';

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession() outside <SessionContext.Provider>');
  return session;
}

/** Whether this session may change things. A read session's pages leave every such control out. */
export function useCanManage(): boolean {
  return useSession().capability === 'manage';
}
