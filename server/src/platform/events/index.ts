export { OutOfOrderError } from "./delivery.ts";
export { createEventBus, type EventBusOptions } from "./event-bus.ts";
export type { DomainEvent, EventBus, InboundEvent, Inbox, NewEvent, Subscriber } from "./events.ts";
export { createInbox, type InboxOptions, type InboxService } from "./inbox.ts";
export { defaultRetentionMs, pruneEvents } from "./prune.ts";
