/**
 * Applies a session's theme to <html>: `data-theme` picks the light or dark palette in styles.css, and the accent
 * colour goes in custom properties through the CSSOM (allowed by the CSP, unlike style attributes). Any accent the
 * platform picks stays readable: the text drawn on it is black or white, whichever contrasts more, and the accent
 * used as text or outline is darkened (light) or lightened (dark) until it reaches WCAG AA against the page.
 */
import type { Theme, ThemeMode } from './session';

const DEFAULT_PRIMARY = '#4f46e5';
/** The surfaces of styles.css that text sits on, per mode. */
const SURFACE: Record<ThemeMode, string> = { light: '#ffffff', dark: '#171b22' };
const PAGE: Record<ThemeMode, string> = { light: '#f6f7f9', dark: '#0f1217' };

type Rgb = [number, number, number];

function parseHex(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function toHex([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(parseHex(a)), luminance(parseHex(b))].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

function mix(color: Rgb, toward: Rgb, amount: number): Rgb {
  return color.map((c, i) => c + (toward[i]! - c) * amount) as Rgb;
}

/** The colour nearest to `color` (mixed toward black or white) with at least `ratio` against every background. */
function readableOn(color: string, backgrounds: string[], toward: Rgb, ratio: number): string {
  const rgb = parseHex(color);
  for (let step = 0; step <= 20; step++) {
    const candidate = toHex(mix(rgb, toward, step / 20));
    if (backgrounds.every((bg) => contrast(candidate, bg) >= ratio)) return candidate;
  }
  return toHex(toward);
}

export function resolveMode(theme: Theme): ThemeMode {
  if (theme.mode) return theme.mode;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(theme: Theme): void {
  const mode = resolveMode(theme);
  const root = document.documentElement;
  root.dataset['theme'] = mode;
  const primary = theme.primary_color ?? DEFAULT_PRIMARY;
  const backgrounds = [SURFACE[mode], PAGE[mode]];
  const away: Rgb = mode === 'light' ? [0, 0, 0] : [255, 255, 255];
  // Buttons fill with the accent itself; their label is black or white, whichever reads better.
  const onPrimary = contrast(primary, '#ffffff') >= contrast(primary, '#111111') ? '#ffffff' : '#111111';
  const fill = readableOn(primary, [onPrimary], onPrimary === '#ffffff' ? [0, 0, 0] : [255, 255, 255], 4.5);
  root.style.setProperty('--primary', fill);
  root.style.setProperty('--on-primary', onPrimary);
  root.style.setProperty('--primary-text', readableOn(primary, backgrounds, away, 4.5));
}
