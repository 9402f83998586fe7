import { CopyButton } from './CopyButton';

/** Code to read and copy, with a caption. Focusable, so a keyboard can scroll it when it is wider than the page. */
export function CodeBlock({ code, caption, copyLabel }: { code: string; caption: string; copyLabel?: string }) {
  return (
    <figure className="code-block">
      <figcaption className="code-caption">
        <span>{caption}</span>
        {copyLabel && <CopyButton text={code} label={copyLabel} className="button button-small" />}
      </figcaption>
      <pre className="code" tabIndex={0}>
        {code}
      </pre>
    </figure>
  );
}
