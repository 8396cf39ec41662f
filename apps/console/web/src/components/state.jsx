/** An admin or operating state as a coloured badge with its word (colour is never the only cue). */
export function StateBadge({ value }) {
  const tone = value === 'UNLOCKED' || value === 'UP' ? 'good' : value === 'LOCKED' || value === 'DOWN' ? 'bad' : 'neutral';
  return <span class={`badge ${tone}`}>{value ?? 'unknown'}</span>;
}

/** A message from the server: an error as an alert (read out at once), anything else as a status. */
export function Message({ message }) {
  if (!message) return null;
  return message.error ? (
    <p role="alert" class="error">
      {message.text}
    </p>
  ) : (
    <p role="status" class="ok">
      {message.text}
    </p>
  );
}
