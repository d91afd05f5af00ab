/**
 * A member's session with @fitgraph/sdk: sign in, log a workout and read it back, then watch
 * the home gym's machine board while claiming and releasing a machine.
 *
 *   pnpm start                                   # the supergraph on the embedded default
 *   pnpm --filter @fitgraph/sdk example          # this script (FITGRAPH_URL, FITGRAPH_EMAIL, FITGRAPH_PASSWORD)
 *
 * The SDK is the same one React Native and the dashboard use; only the WebSocket comes from
 * `ws` here, because Node 20 has no global WebSocket.
 */
import { createFitGraphClient, FitGraphError, type MachineStatusEvent } from '@fitgraph/sdk';
import WebSocket from 'ws';

const url = process.env.FITGRAPH_URL ?? 'http://127.0.0.1:4000/graphql';
const email = process.env.FITGRAPH_EMAIL ?? 'alex@demo.fitgraph.dev';
// DEV-ONLY: the seeded demo accounts' default password.
const password = process.env.FITGRAPH_PASSWORD ?? 'fitgraph-demo-password';

const fitgraph = createFitGraphClient({ url, webSocketImpl: WebSocket });

const session = await fitgraph.signIn(email, password);
console.log(`signed in as ${session.user.displayName}`);

// A workout: one set on a squat rack, finished, then read back from the history.
const [exercise] = await fitgraph.exercises('squat');
if (!exercise) throw new Error('No squat exercise in the catalogue');
const workout = await fitgraph.startWorkout();
await fitgraph.logSet(workout.id, { exerciseId: exercise.id, reps: 5, weightKg: 100 });
const finished = await fitgraph.finishWorkout(workout.id);
console.log(`logged workout ${finished.id}: ${finished.sets.length} set of ${exercise.name}, ${finished.totalVolumeKg} kg total volume`);
const history = await fitgraph.workoutHistory({ first: 5 });
const readBack = history.workouts.nodes.find((node) => node.id === workout.id);
if (!readBack) throw new Error(`Workout ${workout.id} is missing from the history`);
const record = history.personalRecords.find((pr) => pr.exercise.id === exercise.id);
console.log(`read back workout ${readBack.id} (finished ${readBack.finishedAt}); personal record for ${exercise.name}: ${record?.weightKg} kg x ${record?.reps}`);

// The machine board of the member's home gym (or the first gym), live.
const me = await fitgraph.me();
const gymId = me?.homeGym?.id ?? (await fitgraph.gyms())[0]!.id;
const board = await fitgraph.machineBoard(gymId);
if (!board) throw new Error(`Gym ${gymId} not found`);
console.log(`${board.name}: ${board.machines.length} machines, ${board.occupancy} checked in`);

const events: MachineStatusEvent[] = [];
let notify = () => {};
const stop = fitgraph.onMachineStatusChanged(gymId, {
  next: (event) => {
    console.log(`board: ${event.machine.name} ${event.previousStatus} -> ${event.status}`);
    events.push(event);
    notify();
  },
  error: (error) => console.error(`board subscription failed: ${error.message}`),
});
const nextEvent = (machineId: string, timeoutMs: number) =>
  new Promise<MachineStatusEvent | null>((resolve) => {
    const timeout = setTimeout(() => resolve(null), timeoutMs);
    notify = () => {
      const event = events.find((candidate) => candidate.machine.id === machineId);
      if (!event) return;
      events.splice(events.indexOf(event), 1);
      clearTimeout(timeout);
      resolve(event);
    };
    notify();
  });

const machine = board.machines.find((candidate) => candidate.status === 'AVAILABLE');
if (!machine) throw new Error(`No machine is AVAILABLE at ${board.name}`);
try {
  await fitgraph.checkIn(gymId);
} catch (error) {
  if (!(error instanceof FitGraphError && error.code === 'CONFLICT')) throw error; // already checked in
}
// The subscription starts asynchronously (graphql-ws does not acknowledge it), so a change
// made at once may come before it: claim, and if the board missed it, release and claim again.
for (let attempt = 1; ; attempt += 1) {
  const claimed = nextEvent(machine.id, 3000);
  await fitgraph.claimMachine(machine.id);
  const event = await claimed;
  const released = nextEvent(machine.id, 10_000);
  await fitgraph.releaseMachine(machine.id);
  if (event) {
    console.log(`saw ${machine.name} change to ${event.status} on the board`);
    const release = await released;
    if (!release) throw new Error('The board missed the release');
    console.log(`saw ${machine.name} change to ${release.status} on the board`);
    break;
  }
  await released;
  if (attempt === 3) throw new Error('The board saw no change of the claimed machine');
}

stop();
await fitgraph.checkOut(gymId);
await fitgraph.signOut();
await fitgraph.dispose();
console.log('done');
