/**
 * What is personal in the example domain, as the entity modules declare it (`personalData`); `eraseUser`
 * works from it (src/engine/erasure.ts). README ("Erasure") explains each choice.
 */
import type { PersonalDataDeclaration } from "../engine/erasure.js";
import { MODEL } from "./model.js";

export { ERASED_USER_NAME } from "./entities/user.js";
export { ERASED_COMMENT_BODY } from "./entities/comment.js";

export const PERSONAL_DATA: PersonalDataDeclaration = MODEL.personalData!;
