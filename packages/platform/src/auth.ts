/**
 * FitGraph's identity rules on top of the kit's token mechanics (service-kit auth.ts): the
 * roles a token may carry, the viewer type every resolver sees, and the DEV-ONLY key pair.
 * The user subgraph signs; the gateway and every subgraph verify (see service-kit auth.ts).
 */
import type { Viewer as TokenViewer } from '@fitgraph/service-kit';

export const roles = ['MEMBER', 'TRAINER', 'GYM_STAFF', 'ADMIN'] as const;
export type Role = (typeof roles)[number];

/** Who is asking: the verified subject of the access token, with a FitGraph role. */
export type Viewer = TokenViewer<Role>;

// DEV ONLY: a checked-in key pair so the embedded stack works out of the box. Production must
// set AUTH_SIGNING_KEY / AUTH_VERIFICATION_KEYS; services refuse to start in production with these.
export const devKeyId = 'dev-2026-11';
export const devPrivateKey = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIIgv/t8y6X9FtDxFU5cIP3Fv9gvzrVt3+PtQCWxDj4vq
-----END PRIVATE KEY-----`;
export const devPublicKey = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA2reb+EisnB7xYWx6/pgFE0vfEEg/DE0BbKUZeZnCLo4=
-----END PUBLIC KEY-----`;

// DEV ONLY: the secret the gateway signs each subgraph request's client with (service-kit
// gateway-attestation.ts). Production must set GATEWAY_SECRET; services refuse to start with this.
export const devGatewaySecret = 'DEV-ONLY-fitgraph-gateway-secret-0123456789abcdef';
