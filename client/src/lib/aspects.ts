// The focus aspects an artist may ask about, as the server names them (GET /aspects).
import { useEffect, useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "./api";

export type Aspect = Schemas["AspectOut"];
export const MAX_ASPECTS = 3;
let cached: Promise<Aspect[]> | null = null;

export function useAspects(): Aspect[] {
  const [aspects, setAspects] = useState<Aspect[]>([]);
  useEffect(() => {
    cached ??= unwrap(api.GET("/api/v1/aspects")).then((answer) => answer.items);
    cached.then(setAspects, () => {
      cached = null;
    });
  }, []);
  return aspects;
}

export function aspectLabel(aspects: Aspect[], key: string): string {
  return aspects.find((aspect) => aspect.key === key)?.label ?? key.replace(/_/g, " ");
}
