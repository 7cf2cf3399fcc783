import type { ValidatorOptions } from "class-validator";

/** class-validator settings for the mutation inputs that opt in with `@Arg(…, { validate: VALIDATE })`. */
export const VALIDATE: ValidatorOptions = {
  forbidUnknownValues: false,
  validationError: { target: false, value: false },
};
