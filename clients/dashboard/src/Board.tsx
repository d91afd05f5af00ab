import { useEffect, useState } from 'react';
import type { BoardMachineFragment, MachineBoardQuery, MachineStatus } from '@fitgraph/sdk';
import { fitgraph } from './fitgraph';

type Gym = NonNullable<MachineBoardQuery['gym']>;

const statusLabel: Record<MachineStatus, string> = {
  AVAILABLE: 'Available',
  IN_USE: 'In use',
  OUT_OF_ORDER: 'Out of order',
  MAINTENANCE: 'Maintenance',
};

const kindLabel = (kind: string) => kind.toLowerCase().replace(/_/g, ' ');
const timeOf = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** A newer snapshot of a machine wins; an event older than what the board shows changes nothing. */
function merge(machines: BoardMachineFragment[], update: BoardMachineFragment): BoardMachineFragment[] {
  return machines.map((machine) =>
    machine.id === update.id && Date.parse(update.statusChangedAt) >= Date.parse(machine.statusChangedAt) ? update : machine,
  );
}

export function Board({ gymId }: { gymId: string }) {
  const [gym, setGym] = useState<Gym | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    // Subscribe first, then load: an event that lands between the two is applied after the load.
    const early: BoardMachineFragment[] = [];
    let loaded = false;
    const stop = fitgraph.onMachineStatusChanged(gymId, {
      next: (event) => {
        if (!loaded) return void early.push(event.machine);
        setGym((current) => current && { ...current, occupancy: event.machine.gym.occupancy, machines: merge(current.machines, event.machine) });
      },
      error: (failure) => setError(failure.message),
    });
    const load = () =>
      fitgraph
        .machineBoard(gymId)
        .then((board) => {
          loaded = true;
          setGym(board && { ...board, machines: early.splice(0).reduce(merge, board.machines) });
        })
        .catch((failure: Error) => setError(failure.message));
    void load();
    // Check-ins do not change machines; occupancy is re-read now and then.
    const occupancy = setInterval(() => {
      void fitgraph.machineBoard(gymId).then((board) => board && setGym((current) => current && { ...current, occupancy: board.occupancy }));
    }, 15_000);
    return () => {
      stop();
      clearInterval(occupancy);
    };
  }, [gymId]);

  if (error) return <section className="board error">{error}</section>;
  if (!gym) return <section className="board">Loading the board…</section>;
  const counts = gym.machines.reduce<Record<string, number>>((all, machine) => ({ ...all, [machine.status]: (all[machine.status] ?? 0) + 1 }), {});
  return (
    <section className="board" data-testid="board">
      <div className="board-head">
        <h2>
          {gym.name} <small>{gym.city}</small>
        </h2>
        <p className="occupancy" data-testid="occupancy">
          <strong>{gym.occupancy}</strong> {gym.occupancy === 1 ? 'member' : 'members'} checked in
        </p>
      </div>
      <ul className="legend">
        {(Object.keys(statusLabel) as MachineStatus[]).map((status) => (
          <li key={status} className={`status-${status}`}>
            <span className="dot" /> {statusLabel[status]} ({counts[status] ?? 0})
          </li>
        ))}
      </ul>
      <ul className="tiles">
        {gym.machines.map((machine) => (
          <li key={machine.id} className={`tile status-${machine.status}`} data-testid="machine" data-machine-id={machine.id} data-status={machine.status}>
            <span className="name">{machine.name}</span>
            <span className="kind">{kindLabel(machine.kind)}</span>
            <span className="status">{statusLabel[machine.status]}</span>
            <span className="detail">
              {machine.currentUser ? `${machine.currentUser.displayName} · ` : ''}since {timeOf(machine.statusChangedAt)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
