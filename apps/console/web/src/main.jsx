import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, storedKey, storeKey, whenUnauthorized } from './api.js';
import { DevicesPage } from './pages/devices.jsx';
import { DevicePage } from './pages/device.jsx';
import { ProfilesPage } from './pages/profiles.jsx';
import { ServicesPage } from './pages/services.jsx';
import { LoginPage } from './pages/login.jsx';
import './style.css';

/** `#/devices/Name` -> ['devices', 'Name'] */
const route = () =>
  location.hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part; // a malformed escape (#/devices/%E0): shown as typed, not a blank app
      }
    });

function useRoute() {
  const [parts, setParts] = useState(route());
  useEffect(() => {
    const changed = () => setParts(route());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return parts;
}

const NAV = [
  ['devices', 'Devices'],
  ['profiles', 'Profiles'],
  ['services', 'Services'],
];

function App() {
  // undefined: asking the server; then { auth, signedIn }
  const [session, setSession] = useState();
  const parts = useRoute();
  const page = parts[0] ?? 'devices';

  const check = async (key) => {
    try {
      const answer = await api('console/session', { key: key ?? storedKey() ?? '' });
      setSession({ auth: answer.auth, signedIn: true });
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setSession({ auth: true, signedIn: false });
        return false;
      }
      throw err;
    }
  };
  useEffect(() => {
    whenUnauthorized(() => {
      storeKey(undefined);
      setSession({ auth: true, signedIn: false });
    });
    check().catch(() => setSession({ auth: false, signedIn: true, unreachable: true }));
  }, []);

  if (!session) return <p class="loading">Loading…</p>;
  if (!session.signedIn) {
    return (
      <LoginPage
        signIn={async (key) => {
          if (!(await check(key))) return false;
          storeKey(key);
          return true;
        }}
      />
    );
  }
  const signOut = () => {
    storeKey(undefined);
    setSession({ auth: true, signedIn: false });
  };
  return (
    <>
      <header class="top">
        <a class="brand" href="#/devices">
          Edge gateway
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([id, label]) => (
              <li key={id}>
                <a href={`#/${id}`} aria-current={page === id ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {session.auth && (
          <button type="button" class="quiet" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main>
        {page === 'devices' && parts[1] ? <DevicePage key={parts[1]} name={parts[1]} /> : null}
        {page === 'devices' && !parts[1] ? <DevicesPage /> : null}
        {page === 'profiles' ? <ProfilesPage /> : null}
        {page === 'services' ? <ServicesPage /> : null}
        {!NAV.some(([id]) => id === page) ? <p>No page “{page}”.</p> : null}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app'));
