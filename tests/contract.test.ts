/**
 * The served schema must contain the public API contract (schema/api-contract.graphql, a copy
 * of the product's shared contract) name for name and shape for shape. Fields not built yet
 * are listed in `pending`; each issue that builds them removes them from the list.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildASTSchema,
  buildClientSchema,
  getIntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isNonNullType,
  isObjectType,
  isScalarType,
  parse,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { repoRoot } from '@fitgraph/platform';
import { graphqlData, startTestStack, type TestStack } from '@fitgraph/testkit';

const contractPath = `${repoRoot}schema/api-contract.graphql`;
const sharedContractPath = `${repoRoot}../shared/api-contract.graphql`;

/** Contract members still to come (`Type.field`, or `Type` for a whole type). Shrinks to empty. */
const pending = new Set<string>([]);

function contractMismatches(contract: GraphQLSchema, served: GraphQLSchema): { missing: string[]; wrong: string[] } {
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const type of Object.values(contract.getTypeMap())) {
    if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
    const servedType = served.getType(type.name);
    if (!servedType) {
      missing.push(type.name);
      continue;
    }
    if (servedType.constructor !== type.constructor) {
      wrong.push(`${type.name}: kind differs`);
      continue;
    }
    if (isScalarType(type)) continue;
    if (isEnumType(type) && isEnumType(servedType)) {
      for (const value of type.getValues()) {
        if (!servedType.getValue(value.name)) missing.push(`${type.name}.${value.name}`);
      }
      continue;
    }
    if (isObjectType(type) && isObjectType(servedType)) {
      const servedFields = servedType.getFields();
      for (const field of Object.values(type.getFields())) {
        const servedField = servedFields[field.name];
        const name = `${type.name}.${field.name}`;
        if (!servedField) {
          missing.push(name);
          continue;
        }
        if (String(servedField.type) !== String(field.type)) wrong.push(`${name}: ${servedField.type} instead of ${field.type}`);
        for (const arg of field.args) {
          const servedArg = servedField.args.find((a) => a.name === arg.name);
          if (!servedArg) wrong.push(`${name}(${arg.name}): argument missing`);
          else if (String(servedArg.type) !== String(arg.type)) wrong.push(`${name}(${arg.name}): ${servedArg.type} instead of ${arg.type}`);
          else if (JSON.stringify(servedArg.defaultValue) !== JSON.stringify(arg.defaultValue))
            wrong.push(`${name}(${arg.name}): default ${JSON.stringify(servedArg.defaultValue)} instead of ${JSON.stringify(arg.defaultValue)}`);
        }
        for (const extra of servedField.args) {
          if (!field.args.some((a) => a.name === extra.name) && isNonNullType(extra.type) && extra.defaultValue === undefined)
            wrong.push(`${name}(${extra.name}): an added argument must be optional`);
        }
      }
      continue;
    }
    if (isInputObjectType(type) && isInputObjectType(servedType)) {
      const servedFields = servedType.getFields();
      for (const field of Object.values(type.getFields())) {
        const servedField = servedFields[field.name];
        if (!servedField) missing.push(`${type.name}.${field.name}`);
        else if (String(servedField.type) !== String(field.type)) wrong.push(`${type.name}.${field.name}: ${servedField.type} instead of ${field.type}`);
      }
      for (const extra of Object.values(servedFields)) {
        if (!type.getFields()[extra.name] && isNonNullType(extra.type) && extra.defaultValue === undefined)
          wrong.push(`${type.name}.${extra.name}: an added input field must be optional`);
      }
    }
  }
  return { missing, wrong };
}

const isPending = (member: string) => pending.has(member) || pending.has(member.split('.')[0]!);

describe('the served schema contains the API contract', () => {
  let stack: TestStack;
  let served: GraphQLSchema;
  const contract = buildASTSchema(parse(readFileSync(contractPath, 'utf8')));

  beforeAll(async () => {
    stack = await startTestStack();
    served = buildClientSchema(await graphqlData<IntrospectionQuery>(stack.gateway.url, getIntrospectionQuery()));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('uses the current contract', () => {
    if (!existsSync(sharedContractPath)) return; // CI clones hold only the repo's copy.
    expect(readFileSync(contractPath, 'utf8')).toBe(readFileSync(sharedContractPath, 'utf8'));
  });

  it('serves every contract member that is not pending, with the contract shape', () => {
    const { missing, wrong } = contractMismatches(contract, served);
    expect(wrong).toEqual([]);
    expect(missing.filter((member) => !isPending(member))).toEqual([]);
  });

  it('lists as pending only what is really still missing', () => {
    const { missing } = contractMismatches(contract, served);
    const stillMissing = new Set(missing.flatMap((m) => [m, m.split('.')[0]!]));
    expect([...pending].filter((member) => !stillMissing.has(member))).toEqual([]);
  });
});
