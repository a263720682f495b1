// The public front page: what the service is, how it works, the rules, and the questions newcomers
// ask (private links among them). Signed-in members reach it as "How it works".
import { useSession } from "../lib/session";
import { RATING_MEANINGS } from "../lib/ratings";
import { Link, Page } from "../components/ui";

const STEPS: Array<[string, string]> = [
  ["Share an unfinished track", "Paste a SoundCloud, Google Drive, Dropbox or OneDrive link, pick a genre, say what you want feedback on and pick up to three aspects to focus on (mix, arrangement, groove…)."],
  ["Get grouped once a day", "At 02:30 UTC waiting tracks are put into groups of about four, by genre and by how useful their owners' feedback has been."],
  ["Listen and write", "Listen to the other tracks in your group and answer, for each: the aspects the artist asked about, the strongest moment, the biggest problem and one next step. Pin notes to moments as you listen."],
  ["Unlock yours", "Once you have written for everyone, the feedback on your own track unlocks."],
  ["Rate and reply", "Rate each piece from 1 to 5. Helpful reviewers get grouped with other helpful reviewers. Reply if the writer allowed it."],
];

const FAQ: Array<[string, preact.ComponentChildren]> = [
  [
    "How do I share a private track?",
    <>
      <p>Any link that lets someone with the link listen works:</p>
      <ul>
        <li><strong>SoundCloud</strong>: upload the track as private, open it, choose <em>Share</em> and copy the private link (it ends in a secret token, like <code>…/my-track/s-AbC123</code>).</li>
        <li><strong>Google Drive</strong>: right-click the file, <em>Share</em> → <em>General access</em> → <em>Anyone with the link</em>, then <em>Copy link</em> (<code>drive.google.com/file/d/…/view</code>).</li>
        <li><strong>Dropbox</strong>: <em>Share</em> → <em>Copy link</em> (<code>dropbox.com/scl/fi/…</code> or <code>dropbox.com/s/…</code>).</li>
        <li><strong>OneDrive</strong>: <em>Share</em> → <em>Anyone with the link can view</em> → <em>Copy</em>; the link carries <code>cid</code>, <code>id</code> and <code>authkey</code>.</li>
      </ul>
      <p>Only the members of your group see the link.</p>
    </>,
  ],
  ["Who sees my feedback, and my name?", <p>Nobody learns who wrote what: not the artist, not the other members. Your email is never shown to other members.</p>],
  ["What if I miss the deadline?", <p>A group has 72 hours. Writing none or only part of what you owe gives a strike; strikes expire after 30 days, or sooner once you write everything on time in a later group. With two strikes you can still join groups to give feedback, but not submit a track.</p>],
  ["Can I just give feedback without a track?", <p>Yes: tick "No track this time" when you ask. You join the next group as a reviewer.</p>],
  [
    "How is my rating worked out?",
    <p>
      From the ratings your feedback received, recent ones counting most, each corrected for how generous or harsh its rater usually is. A newcomer starts at the
      site's average, so nobody is grouped with the least helpful reviewers just for being new. It decides who you are grouped with; only you see yours, and how it
      compares with other reviewers.
    </p>,
  ],
  [
    "Why was my feedback refused?",
    <p>Feedback needs at least 40 words over all its fields, and must not be a copy of what you wrote for another track. Your draft stays, so you can add to it.</p>,
  ],
  ["Something I received is rude. What can I do?", <p>Use "Report" under it. A moderator reads every report; the writer never learns who reported them.</p>],
];

export function Landing() {
  const { user } = useSession();
  return (
    <Page title="Feedback on your unfinished tracks, from musicians who listen">
      <p class="lead">
        How's My Track? puts you in a small group with other producers each day. Everyone listens to everyone's
        track and writes feedback; what you get back is as good as what you give.
      </p>
      {user ? (
        <p class="cta"><Link href="/" class="button primary">Go to your groups</Link></p>
      ) : (
        <p class="cta">
          <Link href="/sign-up" class="button primary">Create an account</Link> <Link href="/sign-in" class="button">Sign in</Link>
        </p>
      )}
      <section aria-labelledby="how-heading">
        <h2 id="how-heading">How it works</h2>
        <ol class="steps">
          {STEPS.map(([title, text]) => (
            <li key={title}>
              <strong>{title}.</strong> {text}
            </li>
          ))}
        </ol>
      </section>
      <section aria-labelledby="rules-heading">
        <h2 id="rules-heading">The rules</h2>
        <ul class="rules">
          <li><strong>Deadline:</strong> write your feedback within 72 hours of being grouped; a missed deadline is a strike.</li>
          <li><strong>Anonymity:</strong> reviewers stay anonymous; nobody sees who wrote what.</li>
          <li><strong>Respect:</strong> be kind and specific. Rude or empty feedback can be reported and removed.</li>
        </ul>
      </section>
      <section aria-labelledby="ratings-heading">
        <h2 id="ratings-heading">What the ratings mean</h2>
        <dl class="meanings">
          {([1, 2, 3, 4, 5] as const).map((score) => (
            <div key={score}>
              <dt>{score} · {RATING_MEANINGS[score].label}</dt>
              <dd>{RATING_MEANINGS[score].meaning}</dd>
            </div>
          ))}
        </dl>
      </section>
      <section aria-labelledby="faq-heading">
        <h2 id="faq-heading">Questions</h2>
        {FAQ.map(([question, answer]) => (
          <details key={question} class="faq">
            <summary>{question}</summary>
            {answer}
          </details>
        ))}
      </section>
    </Page>
  );
}
