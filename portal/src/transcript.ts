/**
 * The transcript an owner types to try a condition: one turn per line, `user: …` or `assistant: …`; a line without
 * a prefix continues the turn above it.
 */
export interface Turn {
  role: 'user' | 'assistant';
  text: string;
}

export type ParsedTranscript = { ok: true; turns: Turn[] } | { ok: false; message: string };

const PREFIX = /^\s*(user|assistant)\s*:\s?(.*)$/i;

export function parseTranscript(source: string): ParsedTranscript {
  const turns: Turn[] = [];
  const lines = source.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    const match = PREFIX.exec(line);
    if (match) {
      turns.push({ role: match[1]!.toLowerCase() as Turn['role'], text: match[2]! });
      continue;
    }
    const last = turns.at(-1);
    if (last) last.text += `\n${line}`;
    else if (line.trim() !== '') {
      return { ok: false, message: `Line ${index + 1} needs to start with "user:" or "assistant:".` };
    }
  }
  const kept = turns.map((t) => ({ ...t, text: t.text.trim() })).filter((t) => t.text !== '');
  if (kept.length === 0) return { ok: false, message: 'Type at least one line, such as "user: How much is it?".' };
  return { ok: true, turns: kept };
}
