// Submitting a form to the API: busy while it runs, the error it ended with, if any.
import { useState } from "preact/hooks";
import { ApiError } from "./api";

/** Any failure as an ApiError, so a bug in the client shows as an error instead of vanishing. */
export function asApiError(caught: unknown): ApiError {
  return caught instanceof ApiError ? caught : new ApiError(0, "internal_error", String(caught));
}

export function useSubmit<T>(work: () => Promise<T>, done: (value: T) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      done(await work());
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, submit };
}
