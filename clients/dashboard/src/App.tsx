import { useEffect, useState } from 'react';
import type { ConnectionState, GymsQuery, Session } from '@fitgraph/sdk';
import { Board } from './Board';
import { Chat } from './Chat';
import { fitgraph } from './fitgraph';
import { SignIn } from './SignIn';

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  useEffect(() => {
    void fitgraph.session().then(setSession);
  }, []);
  if (session === undefined) return null;
  if (!session) return <SignIn onSignedIn={setSession} />;
  return (
    <Dashboard
      session={session}
      onSignOut={async () => {
        await fitgraph.signOut();
        setSession(null);
      }}
    />
  );
}

function Dashboard({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const [gyms, setGyms] = useState<GymsQuery['gyms']>([]);
  const [gymId, setGymId] = useState<string | null>(null);
  const [connection, setConnection] = useState<ConnectionState>('disconnected');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => fitgraph.onConnectionChange(setConnection), []);
  useEffect(() => {
    Promise.all([fitgraph.gyms(), fitgraph.me()])
      .then(([list, me]) => {
        setGyms(list);
        setGymId((current) => current ?? me?.homeGym?.id ?? list[0]?.id ?? null);
      })
      .catch((failure: Error) => setError(failure.message));
  }, []);

  return (
    <div className="layout">
      <header>
        <h1>FitGraph</h1>
        <label>
          Gym{' '}
          <select data-testid="gym-picker" value={gymId ?? ''} onChange={(event) => setGymId(event.target.value)}>
            {gyms.map((gym) => (
              <option key={gym.id} value={gym.id}>
                {gym.name} · {gym.city}
              </option>
            ))}
          </select>
        </label>
        <span className={`connection ${connection}`} data-testid="connection" data-state={connection}>
          {connection === 'connected' ? '● Live' : '○ Reconnecting…'}
        </span>
        <span className="who" data-testid="signed-in-as">
          {session.user.displayName}
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {error && <p className="error">{error}</p>}
      <main>
        {gymId ? <Board key={gymId} gymId={gymId} /> : <p>Loading gyms…</p>}
        <Chat me={session.user.id} />
      </main>
    </div>
  );
}
