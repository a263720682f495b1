// Small building blocks shared by the pages: fields with their errors, alerts, the page frame.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { navigate } from "../lib/router";

export function Link(props: {
  href: string;
  class?: string | undefined;
  children: ComponentChildren;
  "aria-current"?: "page" | undefined;
}) {
  const follow = (event: MouseEvent) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(props.href);
  };
  return (
    <a href={props.href} class={props.class} onClick={follow} aria-current={props["aria-current"]}>
      {props.children}
    </a>
  );
}

interface FieldProps extends Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "id" | "label"> {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
}

export function Field({ id, label, error, hint, ...input }: FieldProps) {
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <input id={id} name={id} aria-invalid={error ? "true" : undefined} aria-describedby={described || undefined} {...input} />
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function Alert(props: { kind?: "error" | "success" | "info"; children: ComponentChildren }) {
  const kind = props.kind ?? "error";
  return (
    <div class={`alert alert-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {props.children}
    </div>
  );
}

/** The page's main heading takes focus on arrival, so keyboard and screen-reader users start there. */
export function Page(props: { title: string; children: ComponentChildren; narrow?: boolean; wide?: boolean }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · How's My Track?`;
    heading.current?.focus();
  }, [props.title]);
  return (
    <main id="main" class={props.narrow ? "page narrow" : props.wide ? "page wide" : "page"}>
      <h1 ref={heading} tabIndex={-1}>
        {props.title}
      </h1>
      {props.children}
    </main>
  );
}

export function Loading(props: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {props.what}…
    </p>
  );
}
