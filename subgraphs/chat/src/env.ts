import { z } from 'zod';

/** Settings of the chat subgraph beyond the common ones (platform `commonEnv`), parsed by its composition root. */
export const chatEnv = {
  /** Messages one sender may send within the window before RATE_LIMITED (all conversations together). Default: 30. */
  CHAT_SEND_RATE_LIMIT: z.coerce.number().int().positive().default(30),
  /** The send-counting window in seconds. Default: 10. */
  CHAT_SEND_RATE_WINDOW: z.coerce.number().int().positive().default(10),
  /** Messages one sender may send per UTC day (all conversations together) before RATE_LIMITED: bounds what one account stores. Default: 2000. */
  CHAT_MESSAGE_DAILY_LIMIT: z.coerce.number().int().positive().default(2000),
};

export type ChatSettings = z.infer<z.ZodObject<typeof chatEnv>>;
