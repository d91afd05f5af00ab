import { z } from 'zod';
import { committed } from '@fitgraph/platform';
import { nameInput, parseInput, requireRole, requireUser, uuidInput } from '@fitgraph/service-kit';
import { machineStatus } from '../db/schema';
import * as floor from '../floor';
import type { MutationResolvers } from '../generated/resolvers-types';

const gymArgs = z.object({ gymId: uuidInput() });
const machineArgs = z.object({ machineId: uuidInput() });
const statusArgs = z.object({ machineId: uuidInput(), status: z.enum(machineStatus.enumValues) });
const addMachineArgs = z.object({
  gymId: uuidInput(),
  name: nameInput(100),
  kind: z
    .string()
    .trim()
    .max(40, 'must be at most 40 characters')
    .regex(/^[A-Z][A-Z0-9_]*$/, 'must be UPPER_SNAKE_CASE, e.g. TREADMILL'),
});

export const mutationResolvers: MutationResolvers = {
  checkIn: async (_parent, args, ctx) => {
    const viewer = requireUser(ctx);
    const { gymId } = parseInput(gymArgs, args);
    const gym = await committed(ctx, await floor.checkIn(ctx.db, viewer, gymId));
    void ctx.outbox.flush();
    return gym;
  },
  checkOut: async (_parent, args, ctx) => {
    const viewer = requireUser(ctx);
    const { gymId } = parseInput(gymArgs, args);
    return committed(ctx, await floor.checkOut(ctx.db, viewer, gymId));
  },
  claimMachine: async (_parent, args, ctx) => {
    const viewer = requireUser(ctx);
    const { machineId } = parseInput(machineArgs, args);
    return committed(ctx, await floor.claimMachine(ctx.db, viewer, machineId));
  },
  releaseMachine: async (_parent, args, ctx) => {
    const viewer = requireUser(ctx);
    const { machineId } = parseInput(machineArgs, args);
    return committed(ctx, await floor.releaseMachine(ctx.db, viewer, machineId));
  },
  setMachineStatus: async (_parent, args, ctx) => {
    const deviceKey = ctx.request.deviceKey;
    // Without a device key only staff may ask; with one, the machine row decides (in the transaction).
    if (!deviceKey) requireRole(ctx, ...floor.staffRoles);
    const { machineId, status } = parseInput(statusArgs, args);
    return committed(ctx, await floor.setMachineStatus(ctx.db, { viewer: ctx.viewer, deviceKey }, machineId, status));
  },
  addMachine: async (_parent, args, ctx) => {
    requireRole(ctx, ...floor.staffRoles);
    const added = await committed(ctx, await floor.addMachine(ctx.db, parseInput(addMachineArgs, args)));
    // On the bus before the caller learns the id (so a set can reference it right away).
    await ctx.outbox.flush();
    return added;
  },
};
