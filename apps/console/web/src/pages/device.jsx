import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, enc, followEvents } from '../api.js';
import { Chart } from '../components/chart.jsx';
import { Message, StateBadge } from '../components/state.jsx';
import { dateTimeOf, isNumeric, numberText, shown, timeOf } from '../format.js';

/** Values kept per resource for its chart. */
const HISTORY = 60;

function mergeReadings(state, readings) {
  const latest = { ...state.latest };
  const history = { ...state.history };
  for (const r of readings) {
    if (!r || typeof r.resourceName !== 'string') continue;
    if (!latest[r.resourceName] || latest[r.resourceName].origin <= r.origin) latest[r.resourceName] = r;
    if (isNumeric(r.valueType) && r.value !== undefined && r.value !== '') {
      const v = Number(r.value);
      if (Number.isFinite(v)) {
        const series = [...(history[r.resourceName] ?? []), { t: r.origin, v }].sort((a, b) => a.t - b.t);
        history[r.resourceName] = series.slice(-HISTORY);
      }
    }
  }
  return { latest, history };
}

/** One device: its states and lock, latest readings (live), recent values as charts, a form per writable command. */
export function DevicePage({ name }) {
  const [device, setDevice] = useState();
  const [profile, setProfile] = useState();
  const [commands, setCommands] = useState([]);
  const [readings, setReadings] = useState({ latest: {}, history: {} });
  const [error, setError] = useState();
  const [live, setLive] = useState('connecting');
  const [lockMessage, setLockMessage] = useState();

  useEffect(() => {
    let gone = false;
    const fail = (err) => !gone && setError(err.message);
    api(`metadata/device/name/${enc(name)}`)
      .then((answer) => {
        if (gone) return;
        setDevice(answer.device);
        if (answer.device.profileName) {
          api(`metadata/deviceprofile/name/${enc(answer.device.profileName)}`)
            .then((p) => !gone && setProfile(p.profile))
            .catch(() => undefined);
        }
      })
      .catch(fail);
    api(`core-command/device/name/${enc(name)}`)
      .then((answer) => !gone && setCommands(answer.deviceCoreCommand?.coreCommands ?? []))
      .catch(() => undefined);
    api(`core-data/reading/device/name/${enc(name)}?limit=300`)
      .then((answer) => !gone && setReadings((state) => mergeReadings(state, answer.readings ?? [])))
      .catch(() => undefined);
    const stop = new AbortController();
    followEvents(name, (event) => setReadings((state) => mergeReadings(state, event.readings)), setLive, stop.signal);
    return () => {
      gone = true;
      stop.abort();
    };
  }, [name]);

  const resources = useMemo(() => Object.fromEntries((profile?.deviceResources ?? []).map((r) => [r.name, r])), [profile]);
  const rows = Object.values(readings.latest).sort((a, b) => a.resourceName.localeCompare(b.resourceName));
  const charts = Object.entries(readings.history).sort(([a], [b]) => a.localeCompare(b));
  const writable = commands.filter((c) => c.set && c.parameters?.length);

  const setAdminState = async (adminState) => {
    setLockMessage(undefined);
    try {
      const [outcome] = await api('metadata/device', { method: 'PATCH', body: [{ apiVersion: 'v3', device: { name, adminState } }] });
      if (outcome && outcome.statusCode >= 300) throw new Error(outcome.message);
      setDevice((d) => ({ ...d, adminState }));
      setLockMessage({ text: adminState === 'LOCKED' ? `${name} is locked: commands are refused.` : `${name} is unlocked.` });
    } catch (err) {
      setLockMessage({ error: true, text: err.message });
    }
  };

  if (error) {
    return (
      <>
        <p>
          <a href="#/devices">← Devices</a>
        </p>
        <h1>{name}</h1>
        <Message message={{ error: true, text: error }} />
      </>
    );
  }
  return (
    <>
      <p class="crumbs">
        <a href="#/devices">← Devices</a>
      </p>
      <div class="title-row">
        <h1>{name}</h1>
        <span class={`live ${live}`} role="status">
          {live === 'live' ? 'Live' : live === 'reconnecting' ? 'Reconnecting…' : 'Connecting…'}
        </span>
      </div>
      {device && (
        <section aria-label="Device" class="facts card">
          <dl>
            <div>
              <dt>Admin state</dt>
              <dd>
                <StateBadge value={device.adminState} />
              </dd>
            </div>
            <div>
              <dt>Operating state</dt>
              <dd>
                <StateBadge value={device.operatingState} />
              </dd>
            </div>
            <div>
              <dt>Profile</dt>
              <dd>{device.profileName}</dd>
            </div>
            <div>
              <dt>Service</dt>
              <dd>{device.serviceName}</dd>
            </div>
            {device.description && (
              <div>
                <dt>Description</dt>
                <dd>{device.description}</dd>
              </div>
            )}
          </dl>
          <div class="actions">
            {device.adminState === 'LOCKED' ? (
              <button type="button" onClick={() => setAdminState('UNLOCKED')}>
                Unlock
              </button>
            ) : (
              <button type="button" class="secondary" onClick={() => setAdminState('LOCKED')}>
                Lock
              </button>
            )}
            <Message message={lockMessage} />
          </div>
        </section>
      )}
      <div class="columns">
        <section aria-labelledby="readings-heading" class="card">
          <h2 id="readings-heading">Latest readings</h2>
          {rows.length === 0 ? (
            <p class="muted">No readings yet.</p>
          ) : (
            <table class="grid">
              <caption class="sr-only">Latest readings of {name}</caption>
              <thead>
                <tr>
                  <th scope="col">Resource</th>
                  <th scope="col">Value</th>
                  <th scope="col">Type</th>
                  <th scope="col">Time</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.resourceName}>
                    <th scope="row">{r.resourceName}</th>
                    <td class="value" title={r.value}>
                      {shown(numberText(r.value, r.valueType) ?? (r.binaryValue || r.binary ? '(binary)' : r.objectValue !== undefined ? JSON.stringify(r.objectValue) : ''))}
                      {r.units ? <span class="units"> {r.units}</span> : null}
                    </td>
                    <td class="muted">{r.valueType}</td>
                    <td>
                      <time title={dateTimeOf(r.origin)}>{timeOf(r.origin)}</time>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        {writable.length > 0 && (
          <section aria-labelledby="commands-heading" class="card">
            <h2 id="commands-heading">Commands</h2>
            {writable.map((command) => (
              <CommandForm key={command.name} device={name} command={command} resources={resources} />
            ))}
          </section>
        )}
      </div>
      {charts.length > 0 && (
        <section aria-labelledby="charts-heading">
          <h2 id="charts-heading">Recent values</h2>
          <div class="charts">
            {charts.map(([resource, points]) => (
              <Chart key={resource} title={resource} units={readings.latest[resource]?.units ?? resources[resource]?.properties?.units} points={points} />
            ))}
          </div>
        </section>
      )}
    </>
  );
}

/** A writable command: one control per resource it sets (labelled with the resource's name) and a Set button. */
function CommandForm({ device, command, resources }) {
  const [message, setMessage] = useState();
  const [busy, setBusy] = useState(false);
  const id = (resource) => `set-${command.name}-${resource}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const submit = async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const body = Object.fromEntries(command.parameters.map((p) => [p.resourceName, form.elements.namedItem(id(p.resourceName)).value]));
    setBusy(true);
    setMessage(undefined);
    try {
      await api(`core-command/device/name/${enc(device)}/${enc(command.name)}`, { method: 'PUT', body });
      setMessage({ text: `${command.name} set.` });
    } catch (err) {
      setMessage({ error: true, text: err.message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="command" onSubmit={submit} aria-label={`Command ${command.name}`}>
      {command.parameters.length > 1 || command.parameters[0].resourceName !== command.name ? <h3>{command.name}</h3> : null}
      {command.parameters.map((p) => {
        const resource = resources[p.resourceName];
        const units = resource?.properties?.units;
        return (
          <div class="field" key={p.resourceName}>
            <label for={id(p.resourceName)}>{p.resourceName}</label>
            {p.valueType === 'Bool' ? (
              <select id={id(p.resourceName)}>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : (
              <input
                id={id(p.resourceName)}
                required
                inputMode={isNumeric(p.valueType) ? 'decimal' : undefined}
                placeholder={[p.valueType, units].filter(Boolean).join(', ')}
                aria-describedby={resource?.description ? `${id(p.resourceName)}-hint` : undefined}
              />
            )}
            {resource?.description ? (
              <span id={`${id(p.resourceName)}-hint`} class="hint">
                {resource.description}
              </span>
            ) : null}
          </div>
        );
      })}
      <button type="submit" disabled={busy}>
        Set
      </button>
      <Message message={message} />
    </form>
  );
}
