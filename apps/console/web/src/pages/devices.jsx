import { useEffect, useState } from 'preact/hooks';
import { api, enc, followEvents } from '../api.js';
import { Message, StateBadge } from '../components/state.jsx';
import { UploadForm } from '../components/upload.jsx';
import { dateTimeOf } from '../format.js';

/** Every device with its states, profile, service and when it last sent a reading (updated live). */
export function DevicesPage() {
  const [devices, setDevices] = useState();
  const [error, setError] = useState();
  const [last, setLast] = useState({});
  const [reload, setReload] = useState(0);
  const [total, setTotal] = useState(0);

  useEffect(() => {
    let gone = false;
    api('metadata/device/all?limit=1000')
      .then(async (answer) => {
        if (gone) return;
        const list = (answer.devices ?? []).sort((a, b) => a.name.localeCompare(b.name));
        setDevices(list);
        setTotal(answer.totalCount ?? list.length);
        // The last reading of each device, a few at a time; later ones come live.
        const queue = [...list];
        const next = async () => {
          for (let device; (device = queue.shift()) && !gone; ) {
            const found = await api(`core-data/reading/device/name/${enc(device.name)}?limit=1`).catch(() => undefined);
            const origin = found?.readings?.[0]?.origin;
            if (origin) setLast((seen) => (seen[device.name] >= origin ? seen : { ...seen, [device.name]: origin }));
          }
        };
        await Promise.all([next(), next(), next(), next()]);
      })
      .catch((err) => !gone && setError(err.message));
    return () => {
      gone = true;
    };
  }, [reload]);

  useEffect(() => {
    // Live: the newest origin per device, applied once a second (a busy gateway sends thousands of events a second).
    const stop = new AbortController();
    let pending = {};
    followEvents(undefined, (event) => (pending[event.deviceName] = event.origin), () => {}, stop.signal);
    const tick = setInterval(() => {
      if (!Object.keys(pending).length) return;
      const update = pending;
      pending = {};
      setLast((seen) => ({ ...seen, ...update }));
    }, 1000);
    return () => {
      stop.abort();
      clearInterval(tick);
    };
  }, []);

  return (
    <>
      <h1>Devices</h1>
      <Message message={error && { error: true, text: error }} />
      {devices === undefined && !error ? <p>Loading…</p> : null}
      {devices && devices.length === 0 ? <p>No devices yet: add some from a device file below.</p> : null}
      {devices && total > devices.length ? (
        <p class="muted">
          Showing the first {devices.length} of {total} devices.
        </p>
      ) : null}
      {devices && devices.length > 0 ? (
        <table class="grid">
          <caption class="sr-only">Devices</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Admin state</th>
              <th scope="col">Operating state</th>
              <th scope="col">Profile</th>
              <th scope="col">Service</th>
              <th scope="col">Last reading</th>
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => (
              <tr key={d.name}>
                <th scope="row">
                  <a href={`#/devices/${enc(d.name)}`}>{d.name}</a>
                </th>
                <td>
                  <StateBadge value={d.adminState} />
                </td>
                <td>
                  <StateBadge value={d.operatingState} />
                </td>
                <td>{d.profileName}</td>
                <td>{d.serviceName}</td>
                <td>{last[d.name] ? <time>{dateTimeOf(last[d.name])}</time> : <span class="muted">none</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <section aria-labelledby="device-file-heading" class="card">
        <h2 id="device-file-heading">Add devices from a file</h2>
        <p class="muted">An EdgeX device definition file (YAML with a deviceList), as in resources/devices.</p>
        <UploadForm
          id="device-file"
          label="Device file"
          send={async (file) => {
            const answer = await api(`console/devicefile?name=${enc(file.name)}`, {
              method: 'POST',
              body: await file.text(),
              headers: { 'content-type': 'application/yaml' },
            });
            const refused = answer.results.filter((r) => r.statusCode >= 300);
            setReload((n) => n + 1);
            if (refused.length) {
              return { error: true, text: refused.map((r) => `${r.name}: ${r.message} (${r.statusCode})`).join('; ') };
            }
            return { text: `Added ${answer.results.map((r) => r.name).join(', ')}.` };
          }}
        />
      </section>
    </>
  );
}
