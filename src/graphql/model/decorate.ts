/**
 * Applying type-graphql and class-validator decorators to generated classes, in the order TypeScript applies
 * written ones (parameters, then the member, then the class), so a generated class has exactly the metadata a
 * hand-written one would.
 */
import type { ClassType } from "type-graphql";
import { DateTimeResolver } from "graphql-scalars";
import { Float, ID, Int } from "type-graphql";
import type { ScalarType } from "../../domain/domain-model.js";

type AnyDecorator = (...args: any[]) => unknown;

/** The type-graphql type of a model scalar. */
export function graphqlScalar(type: ScalarType): () => unknown {
  switch (type) {
    case "ID":
      return () => ID;
    case "String":
      return () => String;
    case "Int":
      return () => Int;
    case "Float":
      return () => Float;
    case "Boolean":
      return () => Boolean;
    case "DateTime":
      return () => DateTimeResolver;
  }
}

/** A named class (the name shows in stack traces and type-graphql's errors). */
export function namedClass<T extends ClassType>(name: string, base?: T): T {
  const cls = base ? class extends base {} : class {};
  Object.defineProperty(cls, "name", { value: name });
  return cls as T;
}

/** Decorates a property of `cls`. */
export function decorateProperty(cls: ClassType, property: string, decorators: AnyDecorator[]) {
  for (const d of [...decorators].reverse()) d(cls.prototype, property);
}

/** Defines method `name` on `cls` with its parameter decorators (by position) and method decorators. */
export function defineMethod(
  cls: ClassType,
  name: string,
  body: (...args: any[]) => unknown,
  params: AnyDecorator[],
  decorators: AnyDecorator[],
) {
  Object.defineProperty(cls.prototype, name, { value: body, writable: true, configurable: true });
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, name);
  params.forEach((d, i) => d(cls.prototype, name, i));
  for (const d of [...decorators].reverse()) d(cls.prototype, name, descriptor);
}

/** Applies class decorators to `cls`. */
export function decorateClass(cls: ClassType, decorators: AnyDecorator[]) {
  for (const d of [...decorators].reverse()) d(cls);
}
