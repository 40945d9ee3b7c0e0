/** The input itself is wrong (shape, encoding, size): the caller's mistake, never retried. */
export class ModelInputError extends Error {
  constructor(
    message: string,
    /** Set when the input is refused for its size (an HTTP 413 rather than a 400). */
    readonly tooLarge = false,
  ) {
    super(message);
    this.name = "ModelInputError";
  }
}
