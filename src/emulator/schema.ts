/** Blue's webhook API as documented (docs/blue-webhooks.md, section 5), as GraphQL SDL. */
import { SUBSCRIBABLE_EVENTS } from '../blue/catalogue.js';

// The WebhookEvent enum is the catalogue's subscribable events, in schema order: one list, not two.
export const BLUE_WEBHOOK_SDL = /* GraphQL */ `
  scalar JSON
  scalar DateTime

  enum WebhookStatusType { HEALTHY UNHEALTHY }

  enum WebhookEvent {
    ${SUBSCRIBABLE_EVENTS.join(' ')}
  }

  type Webhook {
    id: ID!
    uid: String!
    name: String
    url: String!
    secret: String
    status: WebhookStatusType!
    events: [WebhookEvent!]
    projectIds: [String!]
    enabled: Boolean
    metadata: JSON
    createdAt: DateTime!
    updatedAt: DateTime!
  }

  type PageInfo {
    totalPages: Int
    totalItems: Int
    page: Int
    perPage: Int
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
  }

  type WebhookPagination { items: [Webhook!]!  pageInfo: PageInfo! }
  type MutationResult { success: Boolean!  operationId: String }

  input CreateWebhookInput { name: String  url: String!  events: [WebhookEvent!]  projectIds: [String!] }
  input UpdateWebhookInput { webhookId: String!  enabled: Boolean  name: String  url: String  events: [WebhookEvent]  projectIds: [String] }
  input DeleteWebhookInput { webhookId: String! }
  input DisableWebhookInput { webhookId: String! }
  input WebhookFilter { enabled: Boolean }

  type Query {
    webhook(id: String!): Webhook!
    webhooks(filter: WebhookFilter, skip: Int = 0, take: Int = 20): WebhookPagination!
  }

  type Mutation {
    createWebhook(input: CreateWebhookInput!): Webhook!
    updateWebhook(input: UpdateWebhookInput!): Webhook!
    deleteWebhook(input: DeleteWebhookInput!): MutationResult!
    disableWebhook(input: DisableWebhookInput!): MutationResult!
  }
`;

/** Blue's error codes and messages. */
export const BLUE_ERRORS = {
  UNAUTHENTICATED: 'Authentication required.',
  FORBIDDEN: 'You are not authorized.',
  COMPANY_NOT_FOUND: 'Company was not found.',
  WEBHOOK_NOT_FOUND: 'Webhook was not found.',
  BAD_USER_INPUT: 'Invalid URL.',
  PLAN_LIMIT_REACHED: 'You have reached the webhook limit of your plan.',
  PRIVATE_URL: 'URL resolves to a private/internal address',
} as const;
