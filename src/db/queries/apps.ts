import type { Queryable } from '../pool';
import { newId } from '../ids';
import { DEFAULT_PRIVACY, type PrivacySettings } from '../../domain/payload';

export interface AppRow {
  id: string;
  name: string;
  privacy: PrivacySettings;
  created_at: Date;
  updated_at: Date;
}

export async function insertApp(db: Queryable, input: { name: string; privacy?: Partial<PrivacySettings> }): Promise<AppRow> {
  const privacy = { ...DEFAULT_PRIVACY, ...input.privacy };
  const { rows } = await db.query<AppRow>(
    'INSERT INTO apps (id, name, privacy) VALUES ($1, $2, $3) RETURNING *',
    [newId('app'), input.name, privacy],
  );
  return rows[0]!;
}

export async function findApp(db: Queryable, id: string): Promise<AppRow | undefined> {
  const { rows } = await db.query<AppRow>('SELECT * FROM apps WHERE id = $1', [id]);
  return rows[0];
}
