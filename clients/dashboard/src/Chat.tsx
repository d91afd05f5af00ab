import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { ChatMessageFragment, ConversationsQuery } from '@fitgraph/sdk';
import { fitgraph } from './fitgraph';

type Conversation = ConversationsQuery['conversations'][number];

/** Messages by id in id order (ids sort in sending order): a message seen twice is kept once. */
function addMessages(current: ChatMessageFragment[], added: ChatMessageFragment[]): ChatMessageFragment[] {
  const byId = new Map(current.map((message) => [message.id, message]));
  for (const message of added) byId.set(message.id, message);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const titleOf = (conversation: Conversation, me: string) =>
  conversation.title ??
  conversation.gym?.name ??
  conversation.members
    .filter((member) => member.id !== me)
    .map((member) => member.displayName)
    .join(', ');

export function Chat({ me }: { me: string }) {
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const load = () =>
      fitgraph
        .conversations()
        .then((list) => {
          setConversations(list);
          setSelected((current) => current ?? list[0]?.id ?? null);
        })
        .catch((failure: Error) => setError(failure.message));
    void load();
    const timer = setInterval(load, 15_000);
    return () => clearInterval(timer);
  }, []);

  return (
    <aside className="chat" data-testid="chat">
      <h2>Chat</h2>
      {error && <p className="error">{error}</p>}
      {conversations.length === 0 ? (
        <p className="hint">No conversations yet.</p>
      ) : (
        <ul className="conversations">
          {conversations.map((conversation) => (
            <li key={conversation.id}>
              <button
                type="button"
                className={conversation.id === selected ? 'selected' : ''}
                data-testid="conversation"
                data-conversation-id={conversation.id}
                onClick={() => setSelected(conversation.id)}
              >
                {titleOf(conversation, me)}
              </button>
            </li>
          ))}
        </ul>
      )}
      {selected && <Conversation key={selected} conversationId={selected} me={me} />}
    </aside>
  );
}

function Conversation({ conversationId, me }: { conversationId: string; me: string }) {
  const [messages, setMessages] = useState<ChatMessageFragment[]>([]);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const list = useRef<HTMLOListElement>(null);

  useEffect(() => {
    let stop = () => {};
    let cancelled = false;
    // The newest page, then everything after its last message, live (and resumed after reconnects).
    fitgraph
      .messages(conversationId, { last: 50 })
      .then((conversation) => {
        if (cancelled) return;
        const page = conversation?.messages ?? [];
        setMessages(page);
        stop = fitgraph.onMessageAdded(
          conversationId,
          { next: (message) => setMessages((current) => addMessages(current, [message])), error: (failure) => setError(failure.message) },
          { after: page.at(-1)?.id },
        );
      })
      .catch((failure: Error) => setError(failure.message));
    return () => {
      cancelled = true;
      stop();
    };
  }, [conversationId]);

  useEffect(() => {
    list.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [messages]);

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const body = draft.trim();
    if (!body) return;
    setDraft('');
    try {
      const sent = await fitgraph.sendMessage(conversationId, body);
      setMessages((current) => addMessages(current, [sent]));
    } catch (failure) {
      setDraft(body);
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };

  return (
    <div className="conversation">
      <ol className="messages" ref={list} data-testid="messages">
        {messages.map((message) => (
          <li key={message.id} className={message.sender.id === me ? 'mine' : ''} data-testid="message" data-message-id={message.id}>
            <span className="sender">{message.sender.displayName}</span>
            <span className="body">{message.body}</span>
            <time dateTime={message.sentAt}>{new Date(message.sentAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}</time>
          </li>
        ))}
      </ol>
      {error && <p className="error">{error}</p>}
      <form className="composer" onSubmit={send}>
        <input name="message" placeholder="Write a message" value={draft} onChange={(event) => setDraft(event.target.value)} maxLength={4000} />
        <button type="submit">Send</button>
      </form>
    </div>
  );
}
