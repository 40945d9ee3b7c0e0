import { AppError } from "../../errors.ts";

/** The 409 of a listing that would be public with another processing than the model's other public listings. */
export function publishConflict(otherOrg: string): AppError {
  return new AppError(
    "CONFLICT",
    `these bytes are already public from ${otherOrg} with another processing (preprocessing, postprocessing, mean, std or labels): every public listing of a model shares one, so customers get the same results whichever listing's royalty they pay. Publish with the same processing, or keep yours private.`,
  );
}
