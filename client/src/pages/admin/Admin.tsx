// The admin area: one page per list, the moderation queue first. The server answers non-admins
// with 404 whatever this client shows; the link appears only for admins.
import type { AdminSection } from "../../lib/router";
import { Link, Page } from "../../components/ui";
import { GroupDetail, GroupList, RequestList } from "./Exchange";
import { AuditLog, JobRuns } from "./Records";
import { ReportDetail, ReportQueue } from "./Reports";
import { Stats } from "./Stats";
import { UserDetail, UserList } from "./Users";

const TITLES: Record<AdminSection, string> = {
  reports: "Moderation queue",
  users: "Users",
  requests: "Requests",
  groups: "Groups",
  "job-runs": "Job runs",
  "audit-log": "Audit log",
  stats: "Statistics",
};

function Body(props: { section: AdminSection; id: number | null }) {
  const { section, id } = props;
  if (section === "reports") return id ? <ReportDetail id={id} /> : <ReportQueue />;
  if (section === "users") return id ? <UserDetail id={id} /> : <UserList />;
  if (section === "groups") return id ? <GroupDetail id={id} /> : <GroupList />;
  if (section === "requests") return <RequestList />;
  if (section === "job-runs") return <JobRuns />;
  if (section === "audit-log") return <AuditLog />;
  return <Stats />;
}

export function Admin(props: { section: AdminSection; id: number | null }) {
  return (
    <Page title={`Admin: ${TITLES[props.section]}`} wide>
      <nav class="tabs" aria-label="Admin">
        {(Object.keys(TITLES) as AdminSection[]).map((section) => (
          <Link
            key={section}
            href={section === "reports" ? "/admin" : `/admin/${section}`}
            aria-current={section === props.section ? "page" : undefined}
          >
            {TITLES[section]}
          </Link>
        ))}
      </nav>
      <Body section={props.section} id={props.id} key={`${props.section}-${props.id}`} />
    </Page>
  );
}
