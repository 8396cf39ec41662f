import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { Message, StateBadge } from '../components/state.jsx';
import { dateTimeOf } from '../format.js';

/** The app service's export routes and the device services with what each exposes. */
export function ServicesPage() {
  return (
    <>
      <h1>Services</h1>
      <ExportRoutes />
      <DeviceServices />
      <LiveFigures />
    </>
  );
}

function ExportRoutes() {
  const [routes, setRoutes] = useState();
  const [error, setError] = useState();
  useEffect(() => {
    let gone = false;
    const load = () =>
      api('app-service/exports')
        .then((answer) => !gone && (setRoutes(answer.routes ?? []), setError(undefined)))
        .catch((err) => !gone && setError(err.message));
    load();
    const every = setInterval(load, 5000);
    return () => {
      gone = true;
      clearInterval(every);
    };
  }, []);
  return (
    <section aria-labelledby="routes-heading" class="card">
      <h2 id="routes-heading">App service routes</h2>
      {error ? <p class="muted">The app service does not answer: {error}</p> : null}
      {routes && routes.length === 0 ? <p class="muted">No export routes configured (pipelines file).</p> : null}
      {routes && routes.length > 0 && (
        <table class="grid">
          <caption class="sr-only">Export routes</caption>
          <thead>
            <tr>
              <th scope="col">Route</th>
              <th scope="col">Sink</th>
              <th scope="col">Connected</th>
              <th scope="col">Exported</th>
              <th scope="col">Pending</th>
              <th scope="col">Retries</th>
              <th scope="col">Dropped</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {routes.map((r) => (
              <tr key={r.route}>
                <th scope="row">{r.route}</th>
                <td>{r.sinkType}</td>
                <td>
                  <span class={`badge ${r.connected ? 'good' : 'bad'}`}>{r.connected ? 'yes' : 'no'}</span>
                </td>
                <td>{r.exported}</td>
                <td>{r.pending}</td>
                <td>{r.retries}</td>
                <td title={`full ${r.dropped.full}, expired ${r.dropped.expired}, rejected ${r.dropped.rejected}`}>
                  {r.dropped.full + r.dropped.expired + r.dropped.rejected}
                </td>
                <td>{r.lastError ? `${r.lastError.message} (${dateTimeOf(Date.parse(r.lastError.at))})` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function DeviceServices() {
  const [services, setServices] = useState();
  const [error, setError] = useState();
  useEffect(() => {
    api('metadata/deviceservice/all?limit=1000')
      .then((answer) => setServices((answer.services ?? []).sort((a, b) => a.name.localeCompare(b.name))))
      .catch((err) => setError(err.message));
  }, []);
  return (
    <section aria-labelledby="device-services-heading">
      <h2 id="device-services-heading">Device services</h2>
      <Message message={error && { error: true, text: error }} />
      {services && services.length === 0 ? <p class="muted">No device service has registered.</p> : null}
      {services?.map((s) => (
        <DeviceService key={s.name} service={s} />
      ))}
    </section>
  );
}

/** A driver's own routes (/api/v3/<driver>/...), as the device services serve them. */
const DRIVER_PANELS = { modbus: ModbusConnections, opcua: OpcuaCertificates, zigbee: ZigbeeCoordinator };

function DeviceService({ service }) {
  const [reachable, setReachable] = useState();
  const [why, setWhy] = useState('');
  useEffect(() => {
    // version needs the API key (ping does not): "yes" means the service answers the console, key and all.
    api(`deviceservice/${enc(service.name)}/version`)
      .then(() => setReachable(true))
      .catch((err) => {
        setReachable(false);
        setWhy(err.message);
      });
  }, [service.name]);
  const Panel = DRIVER_PANELS[service.name.replace(/^device-/, '')];
  return (
    <article class="card service" aria-labelledby={`svc-${service.name}`}>
      <h3 id={`svc-${service.name}`}>{service.name}</h3>
      <dl class="inline">
        <div>
          <dt>Admin state</dt>
          <dd>
            <StateBadge value={service.adminState} />
          </dd>
        </div>
        <div>
          <dt>Address</dt>
          <dd>{service.baseAddress}</dd>
        </div>
        <div>
          <dt>Reachable</dt>
          <dd>
            {reachable === undefined ? '…' : <span class={`badge ${reachable ? 'good' : 'bad'}`}>{reachable ? 'yes' : 'no'}</span>}
            {why ? <span class="muted"> {why}</span> : null}
          </dd>
        </div>
      </dl>
      {Panel && reachable ? <Panel service={service.name} /> : null}
    </article>
  );
}

const CONNECTION_TONES = { connected: 'good', connecting: 'neutral', 'backing off': 'bad', 'not connected': 'neutral' };

/** Modbus: each endpoint's connection (state, units and their devices, last error, units backed off), refreshed every 5 s. */
function ModbusConnections({ service }) {
  const [connections, setConnections] = useState();
  const [message, setMessage] = useState();
  useEffect(() => {
    let gone = false;
    const load = () =>
      api(`deviceservice/${enc(service)}/modbus/connections`)
        .then((answer) => !gone && (setConnections(answer.connections ?? []), setMessage(undefined)))
        .catch((err) => !gone && setMessage({ error: true, text: err.message }));
    load();
    const every = setInterval(load, 5000);
    return () => {
      gone = true;
      clearInterval(every);
    };
  }, [service]);
  return (
    <div class="panel">
      <h4>Modbus connections</h4>
      {connections && connections.length === 0 ? <p class="muted">No Modbus devices.</p> : null}
      {connections && connections.length > 0 && (
        <table class="grid">
          <caption class="sr-only">Modbus connections</caption>
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">State</th>
              <th scope="col">Units</th>
              <th scope="col">Backed off</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {connections.map((c) => (
              <tr key={c.endpoint}>
                <th scope="row" class="mono">
                  {c.endpoint}
                </th>
                <td>
                  <span class={`badge ${CONNECTION_TONES[c.state] ?? 'neutral'}`}>{c.state}</span>
                  {c.retryInMs !== undefined ? <span class="muted"> retry in {Math.ceil(c.retryInMs / 1000)} s</span> : null}
                </td>
                <td>{c.units.map((u) => `${u.unitId}: ${u.devices.join(', ')}`).join('; ')}</td>
                <td>{c.backedOffUnits.map((u) => `unit ${u.unitId} (${u.timeouts} timeouts, ${Math.ceil(u.retryInMs / 1000)} s)`).join('; ')}</td>
                <td>{c.lastError ? `${c.lastError.message} (${dateTimeOf(Date.parse(c.lastError.at))})` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Message message={message} />
    </div>
  );
}

/** OPC UA: server certificates waiting to be trusted (loading the list makes the gateway's PKI, so it is asked for). */
function OpcuaCertificates({ service }) {
  const [list, setList] = useState();
  const [message, setMessage] = useState();
  const load = () =>
    api(`deviceservice/${enc(service)}/opcua/certificates`)
      .then((answer) => setList(answer.certificates ?? []))
      .catch((err) => setMessage({ error: true, text: err.message }));
  const decide = async (thumbprint, verdict) => {
    try {
      await api(`deviceservice/${enc(service)}/opcua/certificates/${enc(thumbprint)}/${verdict}`, { method: 'PUT' });
      setMessage({ text: `Certificate ${thumbprint.slice(0, 12)}… ${verdict === 'trust' ? 'trusted' : 'rejected'}.` });
      await load();
    } catch (err) {
      setMessage({ error: true, text: err.message });
    }
  };
  return (
    <div class="panel">
      <h4>OPC UA server certificates</h4>
      {list === undefined ? (
        <button type="button" class="secondary" onClick={load}>
          Show certificates
        </button>
      ) : list.length === 0 ? (
        <p class="muted">No server certificates seen.</p>
      ) : (
        <ul class="plain">
          {list.map((c) => (
            <li key={c.thumbprint}>
              <span class="mono">{c.subject ?? c.thumbprint}</span> <span class="badge neutral">{c.status ?? c.state ?? ''}</span>{' '}
              {c.status !== 'trusted' && (
                <button type="button" onClick={() => decide(c.thumbprint, 'trust')}>
                  Trust
                </button>
              )}{' '}
              {c.status !== 'rejected' && (
                <button type="button" class="secondary" onClick={() => decide(c.thumbprint, 'reject')}>
                  Reject
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <Message message={message} />
    </div>
  );
}

/** ZigBee: the coordinator and permit join (new devices may pair for the chosen time). */
function ZigbeeCoordinator({ service }) {
  const [coordinator, setCoordinator] = useState();
  const [message, setMessage] = useState();
  useEffect(() => {
    api(`deviceservice/${enc(service)}/zigbee/coordinator`)
      .then((answer) => setCoordinator(answer.coordinator))
      .catch((err) => setMessage({ error: true, text: err.message }));
  }, [service]);
  const permit = async (e) => {
    e.preventDefault();
    const seconds = Number(e.currentTarget.elements.namedItem('permit-seconds').value);
    try {
      const answer = await api(`deviceservice/${enc(service)}/zigbee/permitjoin`, { method: 'PUT', body: { seconds } });
      setMessage({ text: seconds ? `Pairing open for ${answer.permitJoin?.seconds ?? seconds} s.` : 'Pairing closed.' });
    } catch (err) {
      setMessage({ error: true, text: err.message });
    }
  };
  return (
    <div class="panel">
      <h4>ZigBee coordinator</h4>
      {coordinator ? <pre class="mono small">{JSON.stringify(coordinator, null, 2)}</pre> : null}
      <form onSubmit={permit} class="inline-form">
        <label for="permit-seconds">Permit join (seconds)</label>
        <input id="permit-seconds" name="permit-seconds" type="number" min="0" max="254" value="60" />
        <button type="submit">Permit join</button>
      </form>
      <Message message={message} />
    </div>
  );
}

/** The console's own live streams: browsers following readings, events sent, dropped for slow browsers, browsers refused. */
function LiveFigures() {
  const [figures, setFigures] = useState();
  useEffect(() => {
    api('console/figures')
      .then((answer) => setFigures(answer.live))
      .catch(() => undefined);
  }, []);
  if (!figures) return null;
  return (
    <section aria-labelledby="console-heading" class="card">
      <h2 id="console-heading">Web console live streams</h2>
      <dl class="inline">
        {[
          ['Browsers following', figures.clients],
          ['Events sent', figures.delivered],
          ['Dropped (slow browsers)', figures.dropped],
          ['Browsers refused', figures.refused],
        ].map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
