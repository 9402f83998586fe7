import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';

import { type EventType, queries } from '../api';
import { CodeBlock } from '../components/CodeBlock';
import { ErrorAlert } from '../components/ErrorAlert';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';

const NODE_SNIPPET = `// npm install standardwebhooks express
const express = require('express');
const { Webhook } = require('standardwebhooks');

const wh = new Webhook(process.env.WEBHOOK_SECRET); // whsec_…
const app = express();

// Verify the raw body: parsing and re-serialising the JSON would change it.
app.post('/webhook', express.raw({ type: 'application/json' }), (req, res) => {
  let payload;
  try {
    payload = wh.verify(req.body, req.headers); // throws if forged or stale
  } catch {
    return res.status(400).send('bad signature');
  }
  res.sendStatus(204); // answer quickly, then do the work
  // Deliveries are at least once: deduplicate on req.headers['webhook-id'].
  console.log(payload.event, payload.conversation_id);
});

app.listen(4000);`;

const PYTHON_SNIPPET = `# pip install standardwebhooks flask
import os

from flask import Flask, request
from standardwebhooks.webhooks import Webhook

wh = Webhook(os.environ["WEBHOOK_SECRET"])  # whsec_…
app = Flask(__name__)


@app.post("/webhook")
def receive():
    try:
        # The raw body, as received: re-serialised JSON would not verify.
        payload = wh.verify(request.get_data(), dict(request.headers))
    except Exception:
        return "bad signature", 400
    # Deliveries are at least once: deduplicate on request.headers["webhook-id"].
    print(payload["event"], payload["conversation_id"])
    return "", 204`;

function EventSection({ type }: { type: EventType }) {
  const headingId = `event-${type.type}`;
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>{type.name}</h2>
      <p>
        <strong>When it fires:</strong> {type.description}
      </p>
      <p>
        Its payload’s <code>event</code> is <code>"{type.payload_event}"</code>; the type’s id in the API and the
        delivery log is <code>{type.type}</code>.
      </p>
      <div className="event-grid">
        <div>
          <h3>Payload fields</h3>
          <div className="table-wrap">
            <table className="table table-compact">
              <caption className="visually-hidden">Payload fields of {type.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Type</th>
                  <th scope="col">Nullable</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {type.fields.map((f) => (
                  <tr key={f.name}>
                    <th scope="row" className="mono">
                      {f.name}
                    </th>
                    <td className="mono">{f.type}</td>
                    <td>{f.nullable ? 'Yes' : 'No'}</td>
                    <td>{f.description}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
        <div>
          <h3>Example</h3>
          <CodeBlock
            code={JSON.stringify(type.example, null, 2)}
            caption={`Example ${type.name} payload`}
            copyLabel={`Copy the ${type.name} example`}
          />
          {(['slack', 'discord', 'teams'] as const).map((format) => (
            <details key={format} className="advanced">
              <summary>As a {FORMAT_NAMES[format]} message</summary>
              <CodeBlock
                code={JSON.stringify(type.format_examples[format], null, 2)}
                caption={`Example ${type.name} message in the ${format} format`}
                copyLabel={`Copy the ${type.name} ${FORMAT_NAMES[format]} example`}
              />
            </details>
          ))}
        </div>
      </div>
    </section>
  );
}

const FORMAT_NAMES = { slack: 'Slack', discord: 'Discord', teams: 'Microsoft Teams' } as const;

function Guides() {
  return (
    <>
      <section className="panel" aria-labelledby="verify-heading">
        <h2 id="verify-heading">Verify signatures</h2>
        <p>
          Every delivery is a <code>POST</code> with a JSON body and three{' '}
          <a href="https://www.standardwebhooks.com/">Standard Webhooks</a> headers: <code>webhook-id</code> (the same
          on every retry: deduplicate on it), <code>webhook-timestamp</code> and <code>webhook-signature</code>. Check
          the signature with the webhook’s signing secret (on the webhook’s page) before trusting the body. Answer any
          2xx within a few seconds; anything else is retried.
        </p>
        <h3>Node.js</h3>
        <CodeBlock
          code={NODE_SNIPPET}
          caption="Node.js, with the standardwebhooks npm package"
          copyLabel="Copy the Node.js example"
        />
        <h3>Python</h3>
        <CodeBlock
          code={PYTHON_SNIPPET}
          caption="Python, with the standardwebhooks PyPI package"
          copyLabel="Copy the Python example"
        />
      </section>

      <section className="panel" aria-labelledby="zapier-heading">
        <h2 id="zapier-heading">Connect Zapier (“Catch Hook”)</h2>
        <p>For example, to add a Google Sheets row for every message:</p>
        <ol className="steps">
          <li>
            <strong>Create a Zap.</strong> Log in to Zapier and create a new Zap. Search for “Webhooks by Zapier” as the
            trigger, choose “Catch Hook” as the trigger event, and copy the custom webhook URL.
          </li>
          <li>
            <strong>Add it here.</strong> On the <Link to="/">Webhooks</Link> page choose Add webhook, paste the Zapier
            URL as the Endpoint URL, select “Message Sent” as the trigger, and save.
          </li>
          <li>
            <strong>Test the connection.</strong> Send a test message in your AI app (or use Send test on the webhook’s
            page), return to Zapier and click “Test trigger”: Zapier should receive the webhook data.
          </li>
          <li>
            <strong>Add a Google Sheets action.</strong> Add a new action step, choose Google Sheets, select “Create
            Spreadsheet Row” and map the webhook fields to the sheet’s columns.
          </li>
        </ol>
        <p className="hint">
          When a Zap is turned off, Zapier answers 410 Gone and the webhook is disabled; turn the Zap on again, then
          enable the webhook on its page.
        </p>
      </section>

      <section className="panel" aria-labelledby="make-heading">
        <h2 id="make-heading">Connect Make (“Custom webhook”)</h2>
        <ol className="steps">
          <li>
            <strong>Create a scenario.</strong> In Make, create a new scenario and add the “Webhooks” app with the
            “Custom webhook” trigger. Click Add, give the webhook a name, save, and copy the address Make shows.
          </li>
          <li>
            <strong>Add it here.</strong> On the <Link to="/">Webhooks</Link> page choose Add webhook, paste the address
            as the Endpoint URL, select your events, and save.
          </li>
          <li>
            <strong>Let Make learn the data.</strong> In Make click “Run once”, then use Send test on the webhook’s page
            (or send a message in your AI app). Make shows “Successfully determined” once it has the payload’s fields.
          </li>
          <li>
            <strong>Add the next module</strong>, such as Google Sheets “Add a Row” or a CRM, and map the payload fields
            to it. Turn the scenario on so it runs immediately as data arrives.
          </li>
        </ol>
      </section>
    </>
  );
}

/** Every event type: when it fires, its payload, an example; how to verify and connect. */
export function EventsPage() {
  const types = useQuery(queries.eventTypes());
  return (
    <Page
      title="Events"
      lead="What each event sends, how to check that a delivery is genuine, and how to connect your platform."
    >
      {types.isPending && <Loading />}
      {types.error && <ErrorAlert error={types.error} title="The event types could not be loaded." />}
      {types.data && (
        <nav className="toc" aria-label="Event types">
          <ul>
            {types.data.map((t) => (
              <li key={t.type}>
                <a href={`#event-${t.type}`}>{t.name}</a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      {types.data?.map((t) => (
        <EventSection key={t.type} type={t} />
      ))}
      <Guides />
    </Page>
  );
}
