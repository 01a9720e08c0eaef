import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, AuthError } from '../api';
import type { Loaded } from '../use-api';

/** Renders a request's data, or its loading and error states. */
export function Show<T>(props: { res: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const { res } = props;
  if (res.state === 'loading')
    return (
      <p class="muted" data-testid="loading">
        Loading…
      </p>
    );
  if (res.state === 'error') return <ErrorBox error={res.error} />;
  return <>{props.children(res.data)}</>;
}

/** An API error as a message with its code and hint. */
export function ErrorBox(props: { error: Error }) {
  const e = props.error;
  if (e instanceof AuthError)
    return (
      <p class="error" data-testid="auth-error">
        401: this console needs an API key (enter it above).
      </p>
    );
  return (
    <div class="error" data-testid="api-error">
      <strong>{e instanceof ApiError ? `${e.status} ${e.code}` : 'Error'}</strong>: {e.message}
      {e instanceof ApiError && e.hint ? <div class="muted">{e.hint}</div> : null}
    </div>
  );
}

/** A block of code with a button that copies it. */
export function CopyBlock(props: { title: string; code: string; testid?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.code);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      // Without clipboard access (plain http on another host) the text stays selectable.
      setCopied(false);
    }
  };
  return (
    <div class="code">
      <div class="code-head">
        <span>{props.title}</span>
        <button type="button" onClick={copy} data-testid={props.testid ? `${props.testid}-copy` : undefined}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <pre data-testid={props.testid}>{props.code}</pre>
    </div>
  );
}

/** A coloured status word. */
export function Badge(props: { tone: 'ok' | 'warn' | 'bad' | 'muted'; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge ${props.tone}`} title={props.title}>
      {props.children}
    </span>
  );
}

/** Key/value tags. */
export function Tags(props: { tags: Record<string, string> }) {
  const entries = Object.entries(props.tags);
  if (entries.length === 0) return <span class="muted">—</span>;
  return (
    <span>
      {entries.map(([k, v]) => (
        <span class="tag" key={k}>
          {k}={v}
        </span>
      ))}
    </span>
  );
}

/** A titled section of a page. */
export function Section(props: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section id={props.id}>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}
