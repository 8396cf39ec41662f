import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Message } from '../components/state.jsx';
import { UploadForm } from '../components/upload.jsx';

/** The device profiles, and a form to upload one (YAML); core-metadata's messages name file:line. */
export function ProfilesPage() {
  const [profiles, setProfiles] = useState();
  const [error, setError] = useState();
  const [reload, setReload] = useState(0);
  const [total, setTotal] = useState(0);
  useEffect(() => {
    api('metadata/deviceprofile/all?limit=1000')
      .then((answer) => {
        setProfiles((answer.profiles ?? []).sort((a, b) => a.name.localeCompare(b.name)));
        setTotal(answer.totalCount ?? 0);
      })
      .catch((err) => setError(err.message));
  }, [reload]);
  return (
    <>
      <h1>Profiles</h1>
      <section aria-labelledby="upload-heading" class="card">
        <h2 id="upload-heading">Upload a profile</h2>
        <p class="muted">An EdgeX device profile (YAML). An existing profile of the same name is refused: delete it first, or change its name.</p>
        <UploadForm
          id="profile-file"
          label="Profile file"
          send={async (file) => {
            const form = new FormData();
            form.append('file', file, file.name);
            const answer = await api('metadata/deviceprofile/uploadfile', { method: 'POST', body: form });
            setReload((n) => n + 1);
            return { text: `Uploaded ${file.name}.${answer.message ? ` ${answer.message}` : ''}` };
          }}
        />
      </section>
      <Message message={error && { error: true, text: error }} />
      {profiles && total > profiles.length ? (
        <p class="muted">
          Showing the first {profiles.length} of {total} profiles.
        </p>
      ) : null}
      {profiles && (
        <table class="grid">
          <caption class="sr-only">Device profiles</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Manufacturer</th>
              <th scope="col">Model</th>
              <th scope="col">Resources</th>
              <th scope="col">Commands</th>
            </tr>
          </thead>
          <tbody>
            {profiles.map((p) => (
              <tr key={p.name}>
                <th scope="row">{p.name}</th>
                <td>{p.manufacturer}</td>
                <td>{p.model}</td>
                <td>{p.deviceResources?.length ?? 0}</td>
                <td>{p.deviceCommands?.length ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
