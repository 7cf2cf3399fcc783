// node-postgres's own conversion of a parameter to the text it sends (lib/utils.js, untyped by @types/pg).
declare module "pg/lib/utils.js" {
  export function prepareValue(value: unknown): unknown;
}
