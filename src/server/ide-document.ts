/**
 * The document the IDE opens on (instead of GraphiQL's generic welcome text): a tour of this API, written from
 * the domain model so that it names the served entities and nothing else. Tests validate it against the schema
 * of the example model and of test models, so it cannot drift.
 *
 * The tour follows the longest chain of to-many relations (at most two levels) from a root list: a nested read
 * with includeDeleted; softDelete and restore of the deepest entity's parent, naming what cascades with it; a
 * bulk soft delete of the deepest entity through the bulk filter on its parent (by ids when there is none); the
 * bulk operation's progress subscription. A shorter chain gives a shallower read.
 */
import type { DomainModel, EntityTypeInfo, RootFieldInfo, ToManyFieldInfo } from "../domain/domain-model.js";

/** A chain of to-many relations from a root list: the entities read, each after the field reaching it. */
interface Chain {
  root: RootFieldInfo;
  entities: EntityTypeInfo[];
  /** `relations[i]` leads from `entities[i]` to `entities[i + 1]`. */
  relations: ToManyFieldInfo[];
}

const MAX_DEPTH = 2;

/** The first root list's longest chain, to entity types not yet on it (a self-reference makes a poor tour). */
function longestChain(model: DomainModel): Chain | undefined {
  let best: Chain | undefined;
  const walk = (chain: Chain) => {
    if (!best || chain.relations.length > best.relations.length) best = chain;
    if (chain.relations.length === MAX_DEPTH) return;
    const last = chain.entities[chain.entities.length - 1]!;
    for (const relation of last.relations) {
      if (relation.kind !== "toMany" || chain.entities.some((e) => e.name === relation.target)) continue;
      walk({
        root: chain.root,
        entities: [...chain.entities, model.type(relation.target)],
        relations: [...chain.relations, relation],
      });
    }
  };
  for (const root of model.rootFields)
    if (root.kind === "list" && root.type) walk({ root, entities: [model.type(root.type)], relations: [] });
  return best;
}

/** The field a person recognizes a row by: its first free-text field, else its first String field, else id. */
function labelOf(model: DomainModel, entity: EntityTypeInfo): string {
  const definition = model.definitions.find((d) => d.name === entity.name);
  const own = entity.fields.filter((f) => definition?.fields?.includes(f.name));
  return (
    own.find((f) => definition?.freeText?.includes(f.name))?.name ?? own.find((f) => f.type === "String")?.name ?? "id"
  );
}

/** "TaskAssignment" → "task assignment". */
const words = (name: string) => name.replace(/(?<!^)([A-Z])/g, " $1").toLowerCase();
/** "an assignment", "a user" (a u sounds like "you" before a consonant and a vowel). */
const article = (phrase: string) => `${/^([aeio]|u(?![a-z][aeiou]))/.test(phrase) ? "an" : "a"} ${phrase}`;
const pascal = (field: string) => field[0]!.toUpperCase() + field.slice(1);
const listed = (items: string[]) =>
  items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;

/** A selection: `name(args) { children }`, on one line when `inline`. */
interface Selection {
  name: string;
  args?: string;
  children?: Selection[];
  inline?: boolean;
}

const field = (name: string, children?: Selection[], args?: string): Selection => ({
  name,
  ...(args ? { args } : {}),
  ...(children ? { children } : {}),
});

function print(s: Selection, indent: string): string {
  const head = indent + s.name + (s.args ? `(${s.args})` : "");
  if (!s.children) return head;
  if (s.inline) return `${head} { ${s.children.map((c) => print({ ...c, inline: true }, "")).join(" ")} }`;
  return `${head} {\n${s.children.map((c) => print(c, indent + "  ")).join("\n")}\n${indent}}`;
}

/** A connection's selection: its count and its nodes, on one line when the nodes hold no further connection. */
function connection(name: string, args: string, node: Selection[], inline: boolean): Selection {
  const edges: Selection = { ...field("edges", [field("node", node)]), inline };
  return field(name, [field("totalCount"), edges], args);
}

/** Step 1: the chain read, soft-deleted rows included at the first level below the root (or at the root). */
function nestedRead(model: DomainModel, chain: Chain): { comment: string; operation: string } {
  const { root, entities, relations } = chain;
  const withDeleted = relations.length > 0 ? 1 : 0;
  const FIRST = [5, 10, 3];
  const DELETION_FIELDS = ["isDeleted", "deletedAt", "deletionReason"];
  const level = (depth: number): Selection => {
    const entity = entities[depth]!;
    const label = labelOf(model, entity);
    const args = `first: ${FIRST[depth]}${depth === withDeleted ? ", includeDeleted: true" : ""}`;
    const name = depth === 0 ? root.name : relations[depth - 1]!.name;
    if (depth === entities.length - 1 && depth > 0) {
      // The deepest level is compact: its label and a to-one reference that does not lead back up the chain.
      const toOne = entity.relations.find((r) => r.kind === "toOne" && r.target !== entities[depth - 1]!.name);
      const node = [field(label)];
      if (toOne) node.push(field(toOne.name, [field(labelOf(model, model.type(toOne.target)))]));
      if (depth === withDeleted) node.push(...DELETION_FIELDS.map((f) => field(f)));
      return connection(name, args, node, true);
    }
    const node = [field("id"), ...(label === "id" ? [] : [field(label)])];
    if (depth === withDeleted) node.push(...DELETION_FIELDS.map((f) => field(f)));
    if (depth < entities.length - 1) node.push(level(depth + 1));
    return connection(name, args, node, false);
  };
  const plural = pascal(root.name);
  const comment =
    (relations[0] ? `${plural} with their ${relations[0].name}, ` : `${plural}, `) +
    "soft-deleted ones included (EDITOR and above)" +
    (relations[1] ? `, and each ${words(entities[1]!.name)}'s live ${relations[1].name}` : "");
  const name = `${plural}WithDeleted${relations[0] ? pascal(relations[0].name) : ""}`;
  return { comment: `${comment}.`, operation: `query ${name} {\n${print(level(0), "  ")}\n}` };
}

/** The relations a soft delete of `entity` cascades to, by their names seen from it. */
function cascades(model: DomainModel, entity: string): string[] {
  return model.relationDeclarations
    .filter((r) => r.parent === entity && r.policy === "CASCADE" && r.child !== entity)
    .map((r) => r.name.slice(entity.length + 1));
}

/** Step 4: the deepest entity of the chain with a bulk filter on its parent there, else a bulk delete by ids. */
function bulkDelete(model: DomainModel, chain: Chain | undefined): { comment: string; operation: string } {
  for (let depth = chain ? chain.relations.length : 0; chain && depth > 0; depth--) {
    const entity = chain.entities[depth]!.name;
    const relation = chain.relations[depth - 1]!;
    const filter = [...model.bulkFilters.values()].find((f) => f.columns.get(entity) === relation.columnKey);
    if (!filter) continue;
    const parent = words(chain.entities[depth - 1]!.name);
    return {
      comment: `every ${words(entity)} of ${article(parent)}, e.g. { "id": "<${article(parent)} id>" }...`,
      operation: [
        `mutation BulkDelete${pascal(relation.name)}($id: ID!) {`,
        `  bulkSoftDelete(filter: { type: ${entity}, ${filter.name}: $id }, reason: "bulk cleanup from the IDE") {`,
      ].join("\n"),
    };
  }
  return {
    comment: `the ids given, e.g. { "id": "<an id>" }...`,
    operation: [
      "mutation BulkDelete($id: ID!) {",
      '  bulkSoftDelete(ids: [$id], reason: "bulk cleanup from the IDE") {',
    ].join("\n"),
  };
}

/** The IDE's opening document for this model. */
export function ideDocument(model: DomainModel): string {
  const chain = longestChain(model);
  // The deepest entity's parent: deleting it takes rows of the next level along.
  const target = chain ? chain.entities[Math.max(0, chain.entities.length - 2)]!.name : model.names[0];
  const row = target ? words(target) : "row";
  const going = target ? cascades(model, target) : [];
  const read = chain && nestedRead(model, chain);
  const bulk = bulkDelete(model, chain);
  const steps = [
    ...(read ? [`# ${read.comment}\n${read.operation}`] : []),
    `# Soft-delete ${article(row)}` +
      (going.length ? `: its ${listed(going)} go with it, under one operation id.` : ", under an operation id.") +
      `
mutation SoftDelete${target ?? ""}($id: ID!) {
  softDelete(id: $id, reason: "tried from the IDE") {
    operationId
    cascaded { type count }
    node { id isDeleted deletedAt deletedBy deletionReason }
  }
}`,
    `# Undo exactly that delete.
mutation Restore${target ?? ""}($id: ID!) {
  restore(id: $id) {
    operationId
    cascaded { type count }
    node { id isDeleted }
  }
}`,
    `# A durable bulk soft delete (ADMIN): ${bulk.comment}
${bulk.operation}
    id
    status
    total
  }
}`,
    `# ...and its progress, live over WebSocket: { "operationId": "<the id it returned>" }.
subscription BulkProgress($operationId: ID!) {
  bulkOperationProgress(id: $operationId) {
    status
    processed
    total
    batches
    eta
  }
}`,
  ];
  return `# Soft delete over GraphQL: put the cursor in an operation and press Ctrl-Enter.
# Ids are opaque: copy one from a result into the variables pane, e.g. { "id": "<${article(row)} id>" }.

${steps.map((step, i) => step.replace(/^# /, `# ${i + 1}. `)).join("\n\n")}
`;
}
