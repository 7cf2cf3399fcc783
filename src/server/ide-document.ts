/**
 * The document the IDE opens on (instead of GraphiQL's generic welcome text): a tour of this API. A test
 * validates it against the schema, so it cannot drift. It stays plain text, not built from the domain model:
 * it is an example for people to read and edit, about the example domain's tasks and comments.
 */
export const IDE_DOCUMENT = `# Soft delete over GraphQL: put the cursor in an operation and press Ctrl-Enter.
# Ids are opaque: copy one from a result into the variables pane, e.g. { "id": "<a task id>" }.

# 1. Projects with their tasks, soft-deleted ones included (EDITOR and above), and each task's live comments.
query ProjectsWithDeletedTasks {
  projects(first: 5) {
    totalCount
    edges {
      node {
        id
        name
        tasks(first: 10, includeDeleted: true) {
          totalCount
          edges {
            node {
              id
              title
              isDeleted
              deletedAt
              deletionReason
              comments(first: 3) {
                totalCount
                edges { node { body author { name } } }
              }
            }
          }
        }
      }
    }
  }
}

# 2. Soft-delete a task: its comments and assignments go with it, under one operation id.
mutation SoftDeleteTask($id: ID!) {
  softDelete(id: $id, reason: "tried from the IDE") {
    operationId
    cascaded { type count }
    node { id isDeleted deletedAt deletedBy deletionReason }
  }
}

# 3. Undo exactly that delete.
mutation RestoreTask($id: ID!) {
  restore(id: $id) {
    operationId
    cascaded { type count }
    node { id isDeleted }
  }
}

# 4. A durable bulk soft delete (ADMIN): every comment of a task, e.g. { "id": "<a task id>" }...
mutation BulkDeleteComments($id: ID!) {
  bulkSoftDelete(filter: { type: Comment, taskId: $id }, reason: "bulk cleanup from the IDE") {
    id
    status
    total
  }
}

# 5. ...and its progress, live over WebSocket: { "operationId": "<the id it returned>" }.
subscription BulkProgress($operationId: ID!) {
  bulkOperationProgress(id: $operationId) {
    status
    processed
    total
    batches
    eta
  }
}
`;
