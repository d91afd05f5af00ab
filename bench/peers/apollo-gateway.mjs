// The baseline a team writes by hand: plain Apollo Gateway + Apollo Server standalone, default
// options. The only additions: the Authorization header is forwarded to subgraphs (without it the
// signed-in dashboard could not be answered at all), and each subgraph request carries the
// gateway attestation the subgraphs require. Plain JavaScript, run by `node` directly.
// Env: SUPERGRAPH_FILE (supergraph with the bench's subgraph URLs), PORT, GATEWAY_SECRET.
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { gatewayAttestation } from './gateway-attestation.mjs';

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(process.env.SUPERGRAPH_FILE, 'utf8'),
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource({
      url,
      willSendRequest({ request, context }) {
        if (context.authorization) request.http.headers.set('authorization', context.authorization);
        for (const [name, value] of Object.entries(gatewayAttestation(process.env.GATEWAY_SECRET))) request.http.headers.set(name, value);
      },
    }),
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT), host: '127.0.0.1' },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(`apollo-gateway ready at ${url}`);
