/** An admin or operating state as a coloured badge with its word (colour is never the only cue). */
export function StateBadge({ value }) {
  const tone = value === 'UNLOCKED' || value === 'UP' ? 'good' : value === 'LOCKED' || value === 'DOWN' ? 'bad' : 'neutral';
  return <span class={`badge ${tone}`}>{value ?? 'unknown'}</span>;
}

/**
 * A message from the server: an error as an alert (read out at once), anything
 * else as a status. Both live regions are always there, empty until a message
 * comes: screen readers announce a change of an existing region's text, not a
 * region that appears with its text.
 */
export function Message({ message }) {
  const error = message?.error ? message.text : '';
  const status = message && !message.error ? message.text : '';
  return (
    <>
      <p role="alert" class="error">
        {error}
      </p>
      <p role="status" class="ok">
        {status}
      </p>
    </>
  );
}
