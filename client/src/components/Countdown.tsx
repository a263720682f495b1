// A live countdown to a moment ("Due in 2 days 4 h"), updated every second.
import { useEffect, useState } from "preact/hooks";
import { countdown } from "../lib/time";

export function Countdown(props: { label: string; to: string }) {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <span>
      {props.label} <time dateTime={props.to}>{countdown(new Date(props.to), now)}</time>
    </span>
  );
}
