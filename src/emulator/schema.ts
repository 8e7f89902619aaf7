/** Blue's webhook API as documented (shared/blue-webhooks.md, section 5), as GraphQL SDL. */
export const BLUE_WEBHOOK_SDL = /* GraphQL */ `
  scalar JSON
  scalar DateTime

  enum WebhookStatusType { HEALTHY UNHEALTHY }

  enum WebhookEvent {
    TODO_CREATED TODO_DELETED TODO_MOVED TODO_NAME_CHANGED TODO_DONE_STATUS_UPDATED
    TODO_DUE_DATE_ADDED TODO_DUE_DATE_UPDATED TODO_DUE_DATE_REMOVED TODO_ASSIGNEE_ADDED
    TODO_ASSIGNEE_REMOVED TODO_TAG_ADDED TODO_TAG_REMOVED TODO_CUSTOM_FIELD_UPDATED
    TODO_CHECKLIST_CREATED TODO_CHECKLIST_NAME_CHANGED TODO_CHECKLIST_DELETED
    TODO_CHECKLIST_ITEM_CREATED TODO_CHECKLIST_ITEM_NAME_CHANGED TODO_CHECKLIST_ITEM_DELETED
    TODO_CHECKLIST_ITEM_DUE_DATE_ADDED TODO_CHECKLIST_ITEM_DUE_DATE_UPDATED
    TODO_CHECKLIST_ITEM_DUE_DATE_REMOVED TODO_CHECKLIST_ITEM_ASSIGNEE_ADDED
    TODO_CHECKLIST_ITEM_ASSIGNEE_REMOVED TODO_CHECKLIST_ITEM_DONE_STATUS_UPDATED
    TODO_LIST_CREATED TODO_LIST_DELETED TODO_LIST_NAME_CHANGED
    CUSTOM_FIELD_CREATED CUSTOM_FIELD_DELETED CUSTOM_FIELD_UPDATED
    TAG_CREATED TAG_DELETED TAG_UPDATED
    COMMENT_CREATED COMMENT_DELETED COMMENT_UPDATED
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
