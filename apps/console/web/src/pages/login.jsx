import { useState } from 'preact/hooks';

/** The gateway has an API key: the user types it; it is kept in this tab only (sessionStorage). */
export function LoginPage({ signIn }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      if (!(await signIn(key))) setError('That API key is not accepted.');
    } catch (err) {
      setError(`The console cannot be reached: ${err.message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <h1>Edge gateway console</h1>
      <form onSubmit={submit} class="card">
        <p>This gateway requires its API key (GW_API_KEY).</p>
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autocomplete="current-password" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <p role="alert" class="error">
          {error}
        </p>
      </form>
    </main>
  );
}
