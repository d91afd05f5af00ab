/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment TestAuthPayload on AuthPayload {\n  accessToken\n  refreshToken\n  expiresIn\n  user {\n    id\n    email\n    displayName\n    role\n  }\n}\n\nmutation TestSignIn($email: String!, $password: String!) {\n  signIn(email: $email, password: $password) {\n    ...TestAuthPayload\n  }\n}\n\nmutation TestSignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    ...TestAuthPayload\n  }\n}\n\nmutation TestSetUserRole($userId: ID!, $role: Role!) {\n  setUserRole(userId: $userId, role: $role) {\n    id\n    role\n  }\n}": typeof types.TestAuthPayloadFragmentDoc,
    "mutation TestStartWorkout {\n  startWorkout {\n    id\n    user {\n      displayName\n    }\n  }\n}\n\nmutation TestLogSet($workoutId: ID!, $input: LogSetInput!) {\n  logSet(workoutId: $workoutId, input: $input) {\n    id\n    reps\n    weightKg\n    exercise {\n      name\n    }\n    machine {\n      name\n      kind\n      gym {\n        name\n      }\n    }\n  }\n}\n\nmutation TestFinishWorkout($workoutId: ID!) {\n  finishWorkout(workoutId: $workoutId) {\n    finishedAt\n    totalVolumeKg\n    sets {\n      machine {\n        name\n      }\n    }\n  }\n}\n\nquery TestWorkout($id: ID!) {\n  workout(id: $id) {\n    id\n  }\n}\n\nquery TestUserTraining($id: ID!, $first: Int) {\n  user(id: $id) {\n    displayName\n    workouts(first: $first) {\n      nodes {\n        id\n        totalVolumeKg\n      }\n      hasNextPage\n      endCursor\n    }\n    personalRecords {\n      exercise {\n        name\n      }\n      weightKg\n      reps\n    }\n  }\n}": typeof types.TestStartWorkoutDocument,
};
const documents: Documents = {
    "fragment TestAuthPayload on AuthPayload {\n  accessToken\n  refreshToken\n  expiresIn\n  user {\n    id\n    email\n    displayName\n    role\n  }\n}\n\nmutation TestSignIn($email: String!, $password: String!) {\n  signIn(email: $email, password: $password) {\n    ...TestAuthPayload\n  }\n}\n\nmutation TestSignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    ...TestAuthPayload\n  }\n}\n\nmutation TestSetUserRole($userId: ID!, $role: Role!) {\n  setUserRole(userId: $userId, role: $role) {\n    id\n    role\n  }\n}": types.TestAuthPayloadFragmentDoc,
    "mutation TestStartWorkout {\n  startWorkout {\n    id\n    user {\n      displayName\n    }\n  }\n}\n\nmutation TestLogSet($workoutId: ID!, $input: LogSetInput!) {\n  logSet(workoutId: $workoutId, input: $input) {\n    id\n    reps\n    weightKg\n    exercise {\n      name\n    }\n    machine {\n      name\n      kind\n      gym {\n        name\n      }\n    }\n  }\n}\n\nmutation TestFinishWorkout($workoutId: ID!) {\n  finishWorkout(workoutId: $workoutId) {\n    finishedAt\n    totalVolumeKg\n    sets {\n      machine {\n        name\n      }\n    }\n  }\n}\n\nquery TestWorkout($id: ID!) {\n  workout(id: $id) {\n    id\n  }\n}\n\nquery TestUserTraining($id: ID!, $first: Int) {\n  user(id: $id) {\n    displayName\n    workouts(first: $first) {\n      nodes {\n        id\n        totalVolumeKg\n      }\n      hasNextPage\n      endCursor\n    }\n    personalRecords {\n      exercise {\n        name\n      }\n      weightKg\n      reps\n    }\n  }\n}": types.TestStartWorkoutDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment TestAuthPayload on AuthPayload {\n  accessToken\n  refreshToken\n  expiresIn\n  user {\n    id\n    email\n    displayName\n    role\n  }\n}\n\nmutation TestSignIn($email: String!, $password: String!) {\n  signIn(email: $email, password: $password) {\n    ...TestAuthPayload\n  }\n}\n\nmutation TestSignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    ...TestAuthPayload\n  }\n}\n\nmutation TestSetUserRole($userId: ID!, $role: Role!) {\n  setUserRole(userId: $userId, role: $role) {\n    id\n    role\n  }\n}"): (typeof documents)["fragment TestAuthPayload on AuthPayload {\n  accessToken\n  refreshToken\n  expiresIn\n  user {\n    id\n    email\n    displayName\n    role\n  }\n}\n\nmutation TestSignIn($email: String!, $password: String!) {\n  signIn(email: $email, password: $password) {\n    ...TestAuthPayload\n  }\n}\n\nmutation TestSignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    ...TestAuthPayload\n  }\n}\n\nmutation TestSetUserRole($userId: ID!, $role: Role!) {\n  setUserRole(userId: $userId, role: $role) {\n    id\n    role\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TestStartWorkout {\n  startWorkout {\n    id\n    user {\n      displayName\n    }\n  }\n}\n\nmutation TestLogSet($workoutId: ID!, $input: LogSetInput!) {\n  logSet(workoutId: $workoutId, input: $input) {\n    id\n    reps\n    weightKg\n    exercise {\n      name\n    }\n    machine {\n      name\n      kind\n      gym {\n        name\n      }\n    }\n  }\n}\n\nmutation TestFinishWorkout($workoutId: ID!) {\n  finishWorkout(workoutId: $workoutId) {\n    finishedAt\n    totalVolumeKg\n    sets {\n      machine {\n        name\n      }\n    }\n  }\n}\n\nquery TestWorkout($id: ID!) {\n  workout(id: $id) {\n    id\n  }\n}\n\nquery TestUserTraining($id: ID!, $first: Int) {\n  user(id: $id) {\n    displayName\n    workouts(first: $first) {\n      nodes {\n        id\n        totalVolumeKg\n      }\n      hasNextPage\n      endCursor\n    }\n    personalRecords {\n      exercise {\n        name\n      }\n      weightKg\n      reps\n    }\n  }\n}"): (typeof documents)["mutation TestStartWorkout {\n  startWorkout {\n    id\n    user {\n      displayName\n    }\n  }\n}\n\nmutation TestLogSet($workoutId: ID!, $input: LogSetInput!) {\n  logSet(workoutId: $workoutId, input: $input) {\n    id\n    reps\n    weightKg\n    exercise {\n      name\n    }\n    machine {\n      name\n      kind\n      gym {\n        name\n      }\n    }\n  }\n}\n\nmutation TestFinishWorkout($workoutId: ID!) {\n  finishWorkout(workoutId: $workoutId) {\n    finishedAt\n    totalVolumeKg\n    sets {\n      machine {\n        name\n      }\n    }\n  }\n}\n\nquery TestWorkout($id: ID!) {\n  workout(id: $id) {\n    id\n  }\n}\n\nquery TestUserTraining($id: ID!, $first: Int) {\n  user(id: $id) {\n    displayName\n    workouts(first: $first) {\n      nodes {\n        id\n        totalVolumeKg\n      }\n      hasNextPage\n      endCursor\n    }\n    personalRecords {\n      exercise {\n        name\n      }\n      weightKg\n      reps\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;