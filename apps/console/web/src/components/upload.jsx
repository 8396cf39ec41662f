import { useState } from 'preact/hooks';
import { Message } from './state.jsx';

/** A file input labelled `label` and an Upload button; `send(file)` answers the message to show (the server's, file:line on a mistake). */
export function UploadForm({ id, label, send }) {
  const [message, setMessage] = useState();
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const file = e.currentTarget.elements.namedItem(id).files[0];
    if (!file) return setMessage({ error: true, text: `Choose a file first (${label}).` });
    setBusy(true);
    setMessage(undefined);
    try {
      setMessage(await send(file));
    } catch (err) {
      setMessage({ error: true, text: err.message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} class="upload">
      <label for={id}>{label}</label>
      <input id={id} name={id} type="file" accept=".yaml,.yml,.json" />
      <button type="submit" disabled={busy}>
        Upload
      </button>
      <Message message={message} />
    </form>
  );
}
