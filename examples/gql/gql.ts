/* eslint-disable */
import * as types from './graphql.js';
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
    "\n  query ProjectsWithTasks($first: Int!, $tasksFirst: Int!) {\n    projects(first: $first) {\n      totalCount\n      edges {\n        node {\n          id\n          slug\n          name\n          tasks(first: $tasksFirst) {\n            totalCount\n            edges {\n              node {\n                id\n                title\n                status\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.ProjectsWithTasksDocument,
    "\n  mutation SoftDeleteTask($id: ID!, $reason: String) {\n    softDelete(id: $id, reason: $reason) {\n      operationId\n      dryRun\n      cascaded {\n        type\n        count\n      }\n      node {\n        id\n        isDeleted\n        deletedAt\n        deletedBy\n        deletionReason\n      }\n    }\n  }\n": typeof types.SoftDeleteTaskDocument,
    "\n  query TaskTrash($projectId: ID, $first: Int!) {\n    tasks(projectId: $projectId, onlyDeleted: true, first: $first) {\n      totalCount\n      edges {\n        node {\n          id\n          title\n          deletedAt\n          deletedBy\n          deletionReason\n        }\n      }\n    }\n  }\n": typeof types.TaskTrashDocument,
    "\n  mutation RestoreTask($id: ID!) {\n    restore(id: $id) {\n      operationId\n      cascaded {\n        type\n        count\n      }\n      node {\n        id\n        isDeleted\n        deletedAt\n      }\n    }\n  }\n": typeof types.RestoreTaskDocument,
    "\n  query AuditEntries($operationId: ID!, $first: Int!) {\n    auditLog(operationId: $operationId, first: $first) {\n      totalCount\n      pageInfo {\n        hasNextPage\n      }\n      edges {\n        node {\n          id\n          at\n          action\n          entityType\n          entityId\n          actor\n          reason\n          operationId\n        }\n      }\n    }\n  }\n": typeof types.AuditEntriesDocument,
    "\n  mutation BulkDeleteComments($taskId: ID!, $reason: String) {\n    bulkSoftDelete(filter: { type: Comment, taskId: $taskId }, reason: $reason) {\n      id\n      status\n      total\n    }\n  }\n": typeof types.BulkDeleteCommentsDocument,
    "\n  subscription BulkProgress($id: ID!) {\n    bulkOperationProgress(id: $id) {\n      operationId\n      status\n      processed\n      skipped\n      failed\n      total\n      batches\n    }\n  }\n": typeof types.BulkProgressDocument,
    "\n  query TaskDependents($id: ID!) {\n    task(id: $id, includeDeleted: true) {\n      id\n      isDeleted\n      comments(first: 100, includeDeleted: true) {\n        edges {\n          node {\n            id\n            isDeleted\n          }\n        }\n      }\n      assignments(first: 100, includeDeleted: true) {\n        edges {\n          node {\n            id\n            isDeleted\n          }\n        }\n      }\n    }\n  }\n": typeof types.TaskDependentsDocument,
};
const documents: Documents = {
    "\n  query ProjectsWithTasks($first: Int!, $tasksFirst: Int!) {\n    projects(first: $first) {\n      totalCount\n      edges {\n        node {\n          id\n          slug\n          name\n          tasks(first: $tasksFirst) {\n            totalCount\n            edges {\n              node {\n                id\n                title\n                status\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.ProjectsWithTasksDocument,
    "\n  mutation SoftDeleteTask($id: ID!, $reason: String) {\n    softDelete(id: $id, reason: $reason) {\n      operationId\n      dryRun\n      cascaded {\n        type\n        count\n      }\n      node {\n        id\n        isDeleted\n        deletedAt\n        deletedBy\n        deletionReason\n      }\n    }\n  }\n": types.SoftDeleteTaskDocument,
    "\n  query TaskTrash($projectId: ID, $first: Int!) {\n    tasks(projectId: $projectId, onlyDeleted: true, first: $first) {\n      totalCount\n      edges {\n        node {\n          id\n          title\n          deletedAt\n          deletedBy\n          deletionReason\n        }\n      }\n    }\n  }\n": types.TaskTrashDocument,
    "\n  mutation RestoreTask($id: ID!) {\n    restore(id: $id) {\n      operationId\n      cascaded {\n        type\n        count\n      }\n      node {\n        id\n        isDeleted\n        deletedAt\n      }\n    }\n  }\n": types.RestoreTaskDocument,
    "\n  query AuditEntries($operationId: ID!, $first: Int!) {\n    auditLog(operationId: $operationId, first: $first) {\n      totalCount\n      pageInfo {\n        hasNextPage\n      }\n      edges {\n        node {\n          id\n          at\n          action\n          entityType\n          entityId\n          actor\n          reason\n          operationId\n        }\n      }\n    }\n  }\n": types.AuditEntriesDocument,
    "\n  mutation BulkDeleteComments($taskId: ID!, $reason: String) {\n    bulkSoftDelete(filter: { type: Comment, taskId: $taskId }, reason: $reason) {\n      id\n      status\n      total\n    }\n  }\n": types.BulkDeleteCommentsDocument,
    "\n  subscription BulkProgress($id: ID!) {\n    bulkOperationProgress(id: $id) {\n      operationId\n      status\n      processed\n      skipped\n      failed\n      total\n      batches\n    }\n  }\n": types.BulkProgressDocument,
    "\n  query TaskDependents($id: ID!) {\n    task(id: $id, includeDeleted: true) {\n      id\n      isDeleted\n      comments(first: 100, includeDeleted: true) {\n        edges {\n          node {\n            id\n            isDeleted\n          }\n        }\n      }\n      assignments(first: 100, includeDeleted: true) {\n        edges {\n          node {\n            id\n            isDeleted\n          }\n        }\n      }\n    }\n  }\n": types.TaskDependentsDocument,
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
export function graphql(source: "\n  query ProjectsWithTasks($first: Int!, $tasksFirst: Int!) {\n    projects(first: $first) {\n      totalCount\n      edges {\n        node {\n          id\n          slug\n          name\n          tasks(first: $tasksFirst) {\n            totalCount\n            edges {\n              node {\n                id\n                title\n                status\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ProjectsWithTasks($first: Int!, $tasksFirst: Int!) {\n    projects(first: $first) {\n      totalCount\n      edges {\n        node {\n          id\n          slug\n          name\n          tasks(first: $tasksFirst) {\n            totalCount\n            edges {\n              node {\n                id\n                title\n                status\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SoftDeleteTask($id: ID!, $reason: String) {\n    softDelete(id: $id, reason: $reason) {\n      operationId\n      dryRun\n      cascaded {\n        type\n        count\n      }\n      node {\n        id\n        isDeleted\n        deletedAt\n        deletedBy\n        deletionReason\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SoftDeleteTask($id: ID!, $reason: String) {\n    softDelete(id: $id, reason: $reason) {\n      operationId\n      dryRun\n      cascaded {\n        type\n        count\n      }\n      node {\n        id\n        isDeleted\n        deletedAt\n        deletedBy\n        deletionReason\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TaskTrash($projectId: ID, $first: Int!) {\n    tasks(projectId: $projectId, onlyDeleted: true, first: $first) {\n      totalCount\n      edges {\n        node {\n          id\n          title\n          deletedAt\n          deletedBy\n          deletionReason\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query TaskTrash($projectId: ID, $first: Int!) {\n    tasks(projectId: $projectId, onlyDeleted: true, first: $first) {\n      totalCount\n      edges {\n        node {\n          id\n          title\n          deletedAt\n          deletedBy\n          deletionReason\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RestoreTask($id: ID!) {\n    restore(id: $id) {\n      operationId\n      cascaded {\n        type\n        count\n      }\n      node {\n        id\n        isDeleted\n        deletedAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RestoreTask($id: ID!) {\n    restore(id: $id) {\n      operationId\n      cascaded {\n        type\n        count\n      }\n      node {\n        id\n        isDeleted\n        deletedAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditEntries($operationId: ID!, $first: Int!) {\n    auditLog(operationId: $operationId, first: $first) {\n      totalCount\n      pageInfo {\n        hasNextPage\n      }\n      edges {\n        node {\n          id\n          at\n          action\n          entityType\n          entityId\n          actor\n          reason\n          operationId\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query AuditEntries($operationId: ID!, $first: Int!) {\n    auditLog(operationId: $operationId, first: $first) {\n      totalCount\n      pageInfo {\n        hasNextPage\n      }\n      edges {\n        node {\n          id\n          at\n          action\n          entityType\n          entityId\n          actor\n          reason\n          operationId\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BulkDeleteComments($taskId: ID!, $reason: String) {\n    bulkSoftDelete(filter: { type: Comment, taskId: $taskId }, reason: $reason) {\n      id\n      status\n      total\n    }\n  }\n"): (typeof documents)["\n  mutation BulkDeleteComments($taskId: ID!, $reason: String) {\n    bulkSoftDelete(filter: { type: Comment, taskId: $taskId }, reason: $reason) {\n      id\n      status\n      total\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription BulkProgress($id: ID!) {\n    bulkOperationProgress(id: $id) {\n      operationId\n      status\n      processed\n      skipped\n      failed\n      total\n      batches\n    }\n  }\n"): (typeof documents)["\n  subscription BulkProgress($id: ID!) {\n    bulkOperationProgress(id: $id) {\n      operationId\n      status\n      processed\n      skipped\n      failed\n      total\n      batches\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TaskDependents($id: ID!) {\n    task(id: $id, includeDeleted: true) {\n      id\n      isDeleted\n      comments(first: 100, includeDeleted: true) {\n        edges {\n          node {\n            id\n            isDeleted\n          }\n        }\n      }\n      assignments(first: 100, includeDeleted: true) {\n        edges {\n          node {\n            id\n            isDeleted\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query TaskDependents($id: ID!) {\n    task(id: $id, includeDeleted: true) {\n      id\n      isDeleted\n      comments(first: 100, includeDeleted: true) {\n        edges {\n          node {\n            id\n            isDeleted\n          }\n        }\n      }\n      assignments(first: 100, includeDeleted: true) {\n        edges {\n          node {\n            id\n            isDeleted\n          }\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;