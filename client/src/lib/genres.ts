// The genres and their labels, as the server names them (GET /genres).
import { useEffect, useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "./api";

export function useGenres(): Schemas["Genre"][] {
  const [genres, setGenres] = useState<Schemas["Genre"][]>([]);
  useEffect(() => {
    unwrap(api.GET("/api/v1/genres")).then(setGenres, () => {});
  }, []);
  return genres;
}
