/**
 * Subscription fan-out: N graphql-ws clients on one FitGraph gateway process, all subscribed to one
 * gym's `machineStatusChanged`, while claim/release mutations sent straight to the gym subgraph
 * publish status changes at a target rate. Counts what every client received (the event `id` is
 * the gym's dense history position, so gaps and repeats are exact), latency from the event's `at`,
 * the gateway's `_entities` fetches to the user subgraph per event, and RSS per idle subscription.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { envPrefix, type SubgraphName } from '@fitgraph/platform';
import { type TokenSigner } from '@fitgraph/service-kit';
import { eventually, gatewayHeaders, startCountingProxy, startServiceProcess, type ServiceProcess } from '@fitgraph/testkit';
import { cpuMs, rssMiB } from './proc';
import type { SeededData } from './seed';

export interface FanoutRow {
  clients: number;
  /** `shared`: every client signed in as the floor display; `distinct`: one member per client. */
  identities: 'shared' | 'distinct';
  targetRate: number;
  publishedRate: number;
  deliveredRate: number;
  p50: number;
  p99: number;
  /**
   * Events that can no longer arrive: skipped ids (delivery is in order, so a later id first is a
   * loss) and every event a client missed after its socket or subscription ended.
   */
  lost: number;
  /** Events still on their way to clients that are connected, when the 20 s drain ended (late, not lost). */
  undelivered: number;
  duplicated: number;
  entityFetchesPerEvent: number;
  rssPerIdleSubscriptionKiB: number;
  /** Client subscriptions that ended with an error so far (e.g. dropped for falling behind). */
  clientErrors: number;
  /**
   * Gateway CPU (user + system, its process tree) from the row's first publish until every connected
   * client had every event (backlog included) ÷ the messages delivered meanwhile: the per-message cost.
   */
  gatewayCpuUsPerMessage: number;
}

export interface FanoutOptions {
  quick: boolean;
  gatewayEnv: NodeJS.ProcessEnv;
  compiled: boolean;
  /** Node flags for the gateway under test (`--profile`: a CPU profile of the fan-out alone). */
  gatewayNodeArgs?: string[];
  subgraphs: Record<SubgraphName, ServiceProcess>;
  data: SeededData;
  signer: TokenSigner;
  log(message: string): void;
  /** Rows to run instead of the default matrix (`--fanout 1000:1000,10000:10`). */
  matrix?: FanoutCase[];
}

export interface FanoutCase {
  clients: number;
  identities: 'shared' | 'distinct';
  rates: number[];
}

/** `--fanout clients:rate[/rate...][:distinct],...` (rates separated by `/` share one set of clients). */
export function parseFanoutCases(text: string): FanoutCase[] {
  return text.split(',').map((part) => {
    const [clients, rate, identities] = part.split(':');
    return { clients: Number(clients), rates: rate!.split('/').map(Number), identities: identities === 'distinct' ? 'distinct' : 'shared' };
  });
}

const subscription = `subscription($gymId: ID!) {
  machineStatusChanged(gymId: $gymId) { id at status machine { currentUser { displayName } } }
}`;

interface ClientTally {
  lastId: number;
  received: number;
  duplicated: number;
  /** Ids skipped this row. */
  gaps: number;
  /** The client's socket closed or its subscription errored: nothing more will arrive. */
  ended: boolean;
}

export async function runFanout(options: FanoutOptions): Promise<FanoutRow[]> {
  const { data, subgraphs, log } = options;
  // Signed in (currentUser is for signed-in viewers only). The engine shares upstream streams and
  // per-event executions per identity, so the main matrix uses one identity (a board shown on many
  // screens); one small run with a different member per client shows the per-identity cost.
  const matrix: FanoutCase[] = options.matrix ?? (options.quick
    ? [
        { clients: 20, identities: 'shared', rates: [10, 50] },
        { clients: 10, identities: 'distinct', rates: [10] },
      ]
    : [
        { clients: 100, identities: 'shared', rates: [10, 100, 1000] },
        { clients: 1000, identities: 'shared', rates: [10, 100, 1000] },
        { clients: 10_000, identities: 'shared', rates: [10, 100, 1000] },
        { clients: 100, identities: 'distinct', rates: [10, 100] },
      ]);
  const displayToken = (await options.signer.sign({ id: data.memberIds[0]!, role: 'MEMBER', sessionId: 'bench-floor-display' })).accessToken;
  const tokenFor = async (client: number, identities: 'shared' | 'distinct') =>
    identities === 'shared'
      ? displayToken
      : (await options.signer.sign({ id: data.memberIds[client % data.memberIds.length]!, role: 'MEMBER', sessionId: `bench-${client}` })).accessToken;
  const publishMs = options.quick ? 700 : 3000;
  const gymId = data.gymIds[0]!;
  if (data.spareMemberIds.length === 0) throw new Error('the seed left no spare members to publish status changes');
  const publishers = await Promise.all(
    data.spareMemberIds.map(async (id, i) => ({
      token: (await options.signer.sign({ id, role: 'MEMBER', sessionId: id })).accessToken,
      machineId: data.freeMachineIds[i]!,
      holding: false,
      busy: false,
    })),
  );

  const proxy = await startCountingProxy(subgraphs.user.url);
  const gateway = await startServiceProcess('gateway', { ...options.gatewayEnv, [`${envPrefix('user')}_SUBGRAPH_URL`]: proxy.url }, { compiled: options.compiled, nodeArgs: options.gatewayNodeArgs });
  const wsUrl = gateway.url.replace('http', 'ws');
  const rows: FanoutRow[] = [];
  try {
    for (const { clients: clientCount, identities, rates } of matrix) {
      const rssBefore = rssMiB(gateway.pid());
      const tallies: ClientTally[] = [];
      const clients: Client[] = [];
      const latencies: number[] = [];
      let errors = 0;
      let firstError: string | undefined;
      // Why sockets closed, as the clients saw it ("code reason" → count): a gateway drop, a keep-alive timeout, ...
      const closes = new Map<string, number>();
      log(`fan-out: ${clientCount} clients (${identities} identity) subscribing ...`);
      for (let i = 0; i < clientCount; i += 1) {
        const tally: ClientTally = { lastId: 0, received: 0, duplicated: 0, gaps: 0, ended: false };
        tallies.push(tally);
        const authorization = `Bearer ${await tokenFor(i, identities)}`;
        const client = createClient({
          url: wsUrl,
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          lazy: true,
          connectionParams: { authorization },
          on: {
            closed: (event) => {
              const { code, reason } = event as { code?: number; reason?: string };
              const key = `${code ?? '?'} ${reason ?? ''}`.trim();
              closes.set(key, (closes.get(key) ?? 0) + 1);
              tally.ended = true;
            },
          },
        });
        clients.push(client);
        client.subscribe<{ machineStatusChanged: { id: string; at: string } }>(
          { query: subscription, variables: { gymId } },
          {
            next: (result) => {
              const event = result.data?.machineStatusChanged;
              if (!event) {
                errors += 1;
                return;
              }
              const id = Number(event.id);
              if (id <= tally.lastId) tally.duplicated += 1;
              else {
                if (tally.lastId > 0) tally.gaps += id - tally.lastId - 1;
                tally.lastId = id;
                tally.received += 1;
              }
              latencies.push(Date.now() - Date.parse(event.at));
            },
            error: (error: unknown) => {
              errors += 1;
              tally.ended = true;
              firstError ??= error instanceof Error ? error.message : JSON.stringify(error).slice(0, 300);
            },
            complete: () => {},
          },
        );
        // Let the sockets open in batches rather than 10 000 at once.
        if (i % 200 === 199) await eventually(async () => (await gateway.health()).subscriptions.subscriptions >= i + 1 - 200, { timeoutMs: 60_000, what: 'subscriptions opening' });
      }
      await eventually(async () => (await gateway.health()).subscriptions.subscriptions === clientCount, {
        timeoutMs: 120_000,
        what: `${clientCount} subscriptions open`,
      });
      const rssIdle = rssMiB(gateway.pid());
      const rssPerIdleSubscriptionKiB = ((rssIdle - rssBefore) * 1024) / clientCount;

      for (const rate of rates) {
        for (const tally of tallies) {
          tally.received = 0;
          tally.duplicated = 0;
          tally.gaps = 0;
        }
        latencies.length = 0;
        const entityBefore = proxy.entityRequests;
        const cpuBefore = cpuMs(gateway.pid());
        let published = 0;
        let failedPublishes = 0;
        const started = performance.now();
        let issued = 0;
        // Each member's claim and release alternate; a member with a mutation in flight waits.
        await new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            const elapsed = performance.now() - started;
            if (elapsed >= publishMs) {
              clearInterval(timer);
              resolve();
              return;
            }
            const due = Math.floor((elapsed * rate) / 1000) - issued;
            for (let k = 0; k < due; k += 1) {
              const publisher = publishers.find((p) => !p.busy);
              if (!publisher) break;
              issued += 1;
              publisher.busy = true;
              const mutation = publisher.holding ? 'releaseMachine' : 'claimMachine';
              void fetch(subgraphs.gym.url, {
                method: 'POST',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${publisher.token}`, ...gatewayHeaders(subgraphs.gym.url) },
                body: JSON.stringify({ query: `mutation($id: ID!) { ${mutation}(machineId: $id) { id } }`, variables: { id: publisher.machineId } }),
              })
                .then(async (response) => {
                  const body = (await response.json()) as { errors?: unknown };
                  if (response.ok && !body.errors) {
                    published += 1;
                    publisher.holding = !publisher.holding;
                  } else failedPublishes += 1;
                })
                .catch(() => {
                  failedPublishes += 1;
                })
                .finally(() => {
                  publisher.busy = false;
                });
            }
          }, 5);
        });
        await eventually(() => publishers.every((p) => !p.busy), { timeoutMs: 30_000, what: 'publishes settled' });
        const publishSeconds = (performance.now() - started) / 1000;
        // Drain: until every client has every event, or 20 s.
        await eventually(() => tallies.every((t) => t.received >= published), { timeoutMs: 20_000, intervalMs: 100, what: 'delivery' }).catch(() => {});
        const deliverSeconds = (performance.now() - started) / 1000;
        const delivered = tallies.reduce((sum, t) => sum + t.received, 0);
        const sorted = Float64Array.from(latencies).sort();
        const at = (p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
        rows.push({
          clients: clientCount,
          identities,
          targetRate: rate,
          publishedRate: published / publishSeconds,
          deliveredRate: delivered / deliverSeconds,
          p50: at(50),
          p99: at(99),
          lost: tallies.reduce((sum, t) => sum + t.gaps + (t.ended ? Math.max(0, published - t.received - t.gaps) : 0), 0),
          undelivered: tallies.reduce((sum, t) => sum + (t.ended ? 0 : Math.max(0, published - t.received - t.gaps)), 0),
          duplicated: tallies.reduce((sum, t) => sum + t.duplicated, 0),
          entityFetchesPerEvent: published > 0 ? (proxy.entityRequests - entityBefore) / published : NaN,
          rssPerIdleSubscriptionKiB,
          clientErrors: errors,
          gatewayCpuUsPerMessage: NaN,
        });
        // Untimed: let a backlog reach the clients still connected before the next row, so one row's late
        // events are not counted as the next row's deliveries.
        await eventually(() => tallies.every((t) => t.ended || t.received + t.gaps >= published), { timeoutMs: 120_000, intervalMs: 250, what: 'backlog delivered' }).catch(() => {
          log(`fan-out: a backlog was still undelivered 120 s after the ${rate}/s row`);
        });
        const deliveredWithBacklog = tallies.reduce((sum, t) => sum + t.received, 0);
        rows.at(-1)!.gatewayCpuUsPerMessage = deliveredWithBacklog > 0 ? ((cpuMs(gateway.pid()) - cpuBefore) * 1000) / deliveredWithBacklog : NaN;
        if (failedPublishes > 0 || errors > 0) log(`fan-out: ${failedPublishes} failed publishes, ${errors} client errors so far (first: ${firstError})`);
        log(`fan-out: ${clientCount} clients @ ${rate}/s: published ${published}, delivered ${delivered}`);
        if (closes.size > 0) {
          log(`fan-out: sockets closed so far (code reason: count): ${JSON.stringify(Object.fromEntries(closes))}`);
          log(`fan-out: gateway output (tail):\n${gateway.output().slice(-1500)}`);
        }
      }
      await Promise.all(clients.map((client) => client.dispose()));
      await eventually(async () => (await gateway.health()).subscriptions.subscriptions === 0, { timeoutMs: 60_000, what: 'subscriptions closed' });
    }
    // Leave the machines as found, so a later fan-out in the same run can claim them again.
    await Promise.all(
      publishers
        .filter((p) => p.holding)
        .map((p) =>
          fetch(subgraphs.gym.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${p.token}`, ...gatewayHeaders(subgraphs.gym.url) },
            body: JSON.stringify({ query: 'mutation($id: ID!) { releaseMachine(machineId: $id) { id } }', variables: { id: p.machineId } }),
          }),
        ),
    );
  } catch (error) {
    throw new Error(`${String(error)}\ngateway output (tail):\n${gateway.output().slice(-3000)}`);
  } finally {
    await gateway.stop();
    await proxy.stop();
  }
  return rows;
}
