/**
 * What a member app does, one typed method each; every method is one operation of
 * `operations/*.graphql` (the same documents are in the gateway's trusted manifest).
 */
import { FitGraphClient, newClientMessageId, type FitGraphClientOptions, type SubscriptionHandlers, type Unsubscribe } from './client';
import { FitGraphError } from './errors';
import {
  CheckInDocument,
  CheckOutDocument,
  ClaimMachineDocument,
  ConversationsDocument,
  DailyNutritionDocument,
  DeleteMealEntryDocument,
  ExercisesDocument,
  FinishWorkoutDocument,
  FoodsDocument,
  GymsDocument,
  JoinGymRoomDocument,
  LogMealDocument,
  LogSetDocument,
  MachineBoardDocument,
  MachineStatusChangedDocument,
  MeDocument,
  MessageAddedDocument,
  MessagesDocument,
  NutritionGoalsDocument,
  ReleaseMachineDocument,
  SendMessageDocument,
  SetNutritionGoalsDocument,
  StartConversationDocument,
  StartWorkoutDocument,
  UpdateProfileDocument,
  WorkoutDocument,
  WorkoutHistoryDocument,
  type ChatMessageFragment,
  type LogMealInput,
  type LogSetInput,
  type MachineStatusChangedSubscription,
  type NutritionGoalsInput,
  type UpdateProfileInput,
} from './generated/graphql';

export type MachineStatusEvent = MachineStatusChangedSubscription['machineStatusChanged'];

/** Network failures worth retrying an idempotent send for. */
const sendAttempts = 3;

export class FitGraph extends FitGraphClient {
  // ---------------------------------------------------------------- profile
  async me() {
    return (await this.request(MeDocument)).me;
  }
  async updateProfile(input: UpdateProfileInput) {
    return (await this.request(UpdateProfileDocument, { input })).updateProfile;
  }

  // ---------------------------------------------------------------- gyms
  async gyms() {
    return (await this.request(GymsDocument)).gyms;
  }
  /** A gym with its machines (status, who holds each) and occupancy; null for an unknown gym. */
  async machineBoard(gymId: string) {
    return (await this.request(MachineBoardDocument, { gymId })).gym;
  }
  async checkIn(gymId: string) {
    return (await this.request(CheckInDocument, { gymId })).checkIn;
  }
  async checkOut(gymId: string) {
    return (await this.request(CheckOutDocument, { gymId })).checkOut;
  }
  async claimMachine(machineId: string) {
    return (await this.request(ClaimMachineDocument, { machineId })).claimMachine;
  }
  async releaseMachine(machineId: string) {
    return (await this.request(ReleaseMachineDocument, { machineId })).releaseMachine;
  }
  /** Every status change of the gym's machines, live; resumes after a reconnect from the last event seen. */
  onMachineStatusChanged(gymId: string, handlers: SubscriptionHandlers<MachineStatusEvent>, options: { after?: string } = {}): Unsubscribe {
    return this.subscribe(
      MachineStatusChangedDocument,
      { gymId, after: options.after ?? null },
      { ...handlers, next: (data) => handlers.next(data.machineStatusChanged) },
      { argument: 'after', cursor: (data) => data.machineStatusChanged.id },
    );
  }

  // ---------------------------------------------------------------- workouts
  async exercises(search?: string) {
    return (await this.request(ExercisesDocument, { search })).exercises;
  }
  async startWorkout() {
    return (await this.request(StartWorkoutDocument)).startWorkout;
  }
  async logSet(workoutId: string, input: LogSetInput) {
    return (await this.request(LogSetDocument, { workoutId, input })).logSet;
  }
  async finishWorkout(workoutId: string) {
    return (await this.request(FinishWorkoutDocument, { workoutId })).finishWorkout;
  }
  async workout(id: string) {
    return (await this.request(WorkoutDocument, { id })).workout;
  }
  /** The signed-in member's workouts (newest first, paged) and personal records. */
  async workoutHistory(options: { first?: number; after?: string } = {}) {
    const { me } = await this.request(WorkoutHistoryDocument, options);
    if (!me) throw new FitGraphError([{ message: 'Sign in first', extensions: { code: 'UNAUTHENTICATED' } }]);
    return { workouts: me.workouts, personalRecords: me.personalRecords };
  }

  // ---------------------------------------------------------------- nutrition
  async foods(search?: string) {
    return (await this.request(FoodsDocument, { search })).foods;
  }
  async logMeal(input: LogMealInput) {
    return (await this.request(LogMealDocument, { input })).logMeal;
  }
  async deleteMealEntry(id: string) {
    return (await this.request(DeleteMealEntryDocument, { id })).deleteMealEntry;
  }
  /** Totals, entries and goal progress of one local day (`YYYY-MM-DD`, the member's time zone). */
  async dailyNutrition(date: string) {
    const { me } = await this.request(DailyNutritionDocument, { date });
    if (!me) throw new FitGraphError([{ message: 'Sign in first', extensions: { code: 'UNAUTHENTICATED' } }]);
    return me.dailyNutrition;
  }
  async nutritionGoals() {
    return (await this.request(NutritionGoalsDocument)).me?.nutritionGoals ?? null;
  }
  async setNutritionGoals(input: NutritionGoalsInput) {
    return (await this.request(SetNutritionGoalsDocument, { input })).setNutritionGoals;
  }

  // ---------------------------------------------------------------- chat
  async conversations() {
    return (await this.request(ConversationsDocument)).conversations;
  }
  /** A conversation with its `last` messages (oldest first) before `before`; null when unknown. */
  async messages(conversationId: string, options: { last?: number; before?: string } = {}) {
    return (await this.request(MessagesDocument, { conversationId, ...options })).conversation;
  }
  async startConversation(memberIds: string[], title?: string) {
    return (await this.request(StartConversationDocument, { memberIds, title })).startConversation;
  }
  async joinGymRoom(gymId: string) {
    return (await this.request(JoinGymRoomDocument, { gymId })).joinGymRoom;
  }
  /**
   * Sends a message. The client message id makes the send idempotent, so a send whose answer
   * was lost to the network is retried without ever storing the message twice.
   */
  async sendMessage(conversationId: string, body: string, clientMessageId: string = newClientMessageId()) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return (await this.request(SendMessageDocument, { conversationId, body, clientMessageId })).sendMessage;
      } catch (error) {
        if (!(error instanceof FitGraphError && error.code === 'NETWORK_ERROR') || attempt >= sendAttempts) throw error;
      }
    }
  }
  /** New messages of a conversation, live; resumes after a reconnect from the last message seen. */
  onMessageAdded(conversationId: string, handlers: SubscriptionHandlers<ChatMessageFragment>, options: { after?: string } = {}): Unsubscribe {
    return this.subscribe(
      MessageAddedDocument,
      { conversationId, after: options.after ?? null },
      { ...handlers, next: (data) => handlers.next(data.messageAdded) },
      { argument: 'after', cursor: (data) => data.messageAdded.id },
    );
  }
}

/** The one client object of an app: `fetch` for queries and mutations, graphql-ws for subscriptions. */
export function createFitGraphClient(options: FitGraphClientOptions): FitGraph {
  return new FitGraph(options);
}
